import { RedisMembership } from '@tsactor/cluster';
import { describeProviderContract } from './contract';
import { describeWithService, REDIS_URL } from './services';

describeWithService('Redis', 'Redis membership provider', () => {
  describeProviderContract('redis', {
    open: (name) => RedisMembership.connect({ name, url: REDIS_URL }),
    async destroy(name) {
      const p = await RedisMembership.connect({ name, url: REDIS_URL });
      try {
        await p.destroy();
      } finally {
        await p.close();
      }
    },
  });
});
