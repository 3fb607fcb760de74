import { SeedMembership, SeedTable } from '@tsactor/cluster';
import { describeProviderContract } from './contract';

describe('seeds membership provider (in-process link)', () => {
  const tables = new Map<string, SeedTable>();
  describeProviderContract('seeds', {
    async open(name) {
      let table = tables.get(name);
      if (table === undefined) tables.set(name, (table = new SeedTable({ name })));
      return new SeedMembership({ name, link: table.link() });
    },
    async destroy(name) {
      tables.get(name)?.close();
      tables.delete(name);
    },
  });
});
