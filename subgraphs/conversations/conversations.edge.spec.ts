import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../_shared/logger.js';
import { EDGE_PRIVILEGES, startConversationsEdge } from './conversations.edge.js';

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

// The boot's tries and the operator's grants file say the same: a grant the file gives is one the boot checks.
describe('the edge account', () => {
  it("tries at boot exactly what deploy/mysql/edge-grants.sql grants", () => {
    const file = readFileSync(join(__dirname, '../../deploy/mysql/edge-grants.sql'), 'utf8');
    const granted = [...file.matchAll(/^GRANT ([A-Z, ]+) ON (\w+) TO /gm)].map((m) => `${m[1]} on ${m[2]}`).sort();
    expect(granted.length).toBeGreaterThan(0);
    expect(EDGE_PRIVILEGES.map((p) => p.what).sort()).toEqual(granted);
  });
});
