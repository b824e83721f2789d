import { createConnection } from 'mysql2/promise';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_MYSQL_URL } from './env.js';
import { ROOT } from './processes.js';

const PASSWORD = 'edge-test-Pa55word';

/**
 * The gateway's database account for ingest at the edge, as an operator makes it: created, then granted exactly
 * deploy/mysql/edge-grants.sql in `db` (whose tables must exist: call after the replicas migrated). One account per
 * database (the file's `huiliu_edge`, suffixed), so an e2e and a bench at once do not revoke each other's.
 * `withoutGrantOn`: the file less its grant on that table, or on every table (`*`): another account. Returns its URL.
 */
export async function createEdgeAccount(db: string, o: { withoutGrantOn?: string } = {}): Promise<string> {
  const user = `huiliu_edge_${createHash('sha256').update(`${db}/${o.withoutGrantOn ?? ''}`).digest('hex').slice(0, 8)}`;
  const grants = readFileSync(join(ROOT, 'deploy/mysql/edge-grants.sql'), 'utf8').replaceAll("'huiliu_edge'@'%'", `'${user}'@'%'`)
    .split('\n').filter((line) => !o.withoutGrantOn || !(o.withoutGrantOn === '*' ? line.startsWith('GRANT ') : line.includes(` ON ${o.withoutGrantOn} TO `))).join('\n');
  const root = await createConnection({ uri: `${TEST_MYSQL_URL}/${db}`, multipleStatements: true });
  try {
    await root.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await root.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await root.query(grants);
  } finally {
    await root.end();
  }
  return `mysql://${user}:${PASSWORD}@${new URL(TEST_MYSQL_URL).host}/${db}`;
}
