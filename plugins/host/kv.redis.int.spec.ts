import Redis from 'ioredis';
import { describeKeyValueStore } from './kv.contract.js';
import { RedisKeyValueStore } from './kv.redis.js';

// the same contract as the in-memory store, against the real Redis the distributed mode uses
describeKeyValueStore('redis', async () => {
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: false, maxRetriesPerRequest: 1 });
  return {
    kv: new RedisKeyValueStore(redis, `huiliu:test:plugins:${process.pid}:`),
    expire: (ms) => new Promise((r) => setTimeout(r, ms)),
    close: async () => { await redis.quit(); },
  };
});
