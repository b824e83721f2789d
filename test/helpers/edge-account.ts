import { createConnection } from 'mysql2/promise';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_MYSQL_URL } from './env.js';
import { ROOT } from './processes.js';

const EDGE_ACCOUNT = { user: 'huiliu_edge', password: 'edge-test-Pa55word' };

/**
 * The gateway's database account for ingest at the edge, as an operator makes it: created, then granted exactly
 * deploy/mysql/edge-grants.sql in `db` (whose tables must exist: call after the replicas migrated). Returns its URL.
 */
export async function createEdgeAccount(db: string): Promise<string> {
  const root = await createConnection({ uri: `${TEST_MYSQL_URL}/${db}`, multipleStatements: true });
  try {
    await root.query(`DROP USER IF EXISTS '${EDGE_ACCOUNT.user}'@'%'`);
    await root.query(`CREATE USER '${EDGE_ACCOUNT.user}'@'%' IDENTIFIED BY '${EDGE_ACCOUNT.password}'`);
    await root.query(readFileSync(join(ROOT, 'deploy/mysql/edge-grants.sql'), 'utf8'));
  } finally {
    await root.end();
  }
  return `mysql://${EDGE_ACCOUNT.user}:${EDGE_ACCOUNT.password}@${new URL(TEST_MYSQL_URL).host}/${db}`;
}
