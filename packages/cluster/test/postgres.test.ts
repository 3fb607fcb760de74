import { PostgresMembership } from '@tsactor/cluster';
import { describeProviderContract } from './contract';
import { describeWithService, PG_URL } from './services';

describeWithService('PostgreSQL', 'PostgreSQL membership provider', () => {
  describeProviderContract('pg', {
    open: (name) => PostgresMembership.connect({ name, url: PG_URL }),
    async destroy(name) {
      const p = await PostgresMembership.connect({ name, url: PG_URL });
      try {
        await p.destroy();
      } finally {
        await p.close();
      }
    },
  });
});
