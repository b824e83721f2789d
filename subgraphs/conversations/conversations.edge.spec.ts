import { createLogger } from '../_shared/logger.js';
import { startConversationsEdge } from './conversations.edge.js';

// GATEWAY_INGEST=edge misconfigured: the gateway refuses to boot with a message naming the variable, before it
// opens anything (test/e2e/ingest-edge.e2e.spec.ts runs the edge itself).
describe('startConversationsEdge configuration', () => {
  const log = createLogger('test-edge', 'silent');

  it('needs REDIS_URL: without it nothing hands the stored webhooks to the replicas', async () => {
    await expect(startConversationsEdge({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/x' }, log)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/REDIS_URL: is required with GATEWAY_INGEST=edge/) });
  });

  it("needs the replicas' MariaDB/MySQL database, not a local SQLite file", async () => {
    await expect(startConversationsEdge({ REDIS_URL: 'redis://127.0.0.1:6379' }, log)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/DATABASE_URL: with GATEWAY_INGEST=edge/) });
  });

  it("checks the conversations settings as a replica does (a wrong CHANNEL_SECRET_KEYS)", async () => {
    await expect(startConversationsEdge({ REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'mysql://root@127.0.0.1:3306/x', CHANNEL_SECRET_KEYS: 'nonsense' }, log)).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/CHANNEL_SECRET_KEYS/) });
  });
});
