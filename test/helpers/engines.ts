import type { DataSource } from 'typeorm';
import { openDataSource } from '../../subgraphs/_shared/data-source.js';
import { conversationsSubgraph } from '../../subgraphs/conversations/index.js';
import { mysqlUrl } from './env.js';

/** SQL written by hand must hold on both engines: `describe.each(onBothEngines('db'))` gives [engine, url]. */
export const onBothEngines = (db: string): Array<[string, string]> => [['MariaDB', mysqlUrl(db)], ['SQLite', 'sqlite::memory:']];

/** The conversations subgraph's database at `url`: migrated before the block's tests, closed after them. */
export function conversationsDatabase(url: string): { readonly ds: DataSource } {
  const db = {} as { ds: DataSource };
  beforeAll(async () => {
    db.ds = await openDataSource({ url, subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations }, true);
  });
  afterAll(() => db.ds.destroy());
  return db;
}
