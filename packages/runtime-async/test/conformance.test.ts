import { createHost, shutdown } from 'tsactor';
import { describeConformance } from '@tsactor/testing';

let port = 7100;

describeConformance({
  name: 'async',
  async setup() {
    const url = `local://local:${port++}/host`;
    const host = await createHost(url);
    return { host, teardown: () => shutdown(url) };
  },
});
