import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataSource, ensureDatabase, schemaDrift } from '../subgraphs/_shared/data-source.js';
import { ALL_SUBGRAPHS } from '../subgraphs/registry.js';
import { mysqlUrl } from './helpers/env.js';

/**
 * Every subgraph's migrations run up and all the way down on MariaDB and SQLite, and after `up` the schema
 * matches the entities exactly (no drift: typeorm's schema builder would change nothing).
 */
const targets = [
  { db: 'mariadb', url: (name: string) => mysqlUrl(`migrations_${name}`) },
  { db: 'sqlite', url: (name: string) => `sqlite:${join(mkdtempSync(join(tmpdir(), 'huiliu-mig-')), `${name}.sqlite`)}` },
];

describe.each(targets)('migrations on $db', ({ url }) => {
  it.each(ALL_SUBGRAPHS.map((m) => [m.name, m] as const))('%s: up, no drift, down to nothing, up again', async (_name, m) => {
    const u = url(m.name);
    const flavor = await ensureDatabase(u);
    const ds = buildDataSource({ url: u, flavor, subgraph: m.name, entities: m.entities, migrations: m.migrations });
    await ds.initialize();
    try {
      // start from nothing, whatever an earlier run left
      while ((await ds.query(`SELECT 1 FROM ${ds.driver.escape(`migrations_${m.name}`)} LIMIT 1`).catch(() => [])).length) await ds.undoLastMigration();
      const ran = await ds.runMigrations();
      expect(ran.length).toBe(m.migrations.length);
      expect(await schemaDrift(ds)).toEqual([]);
      for (const entity of m.entities) expect(await ds.getRepository(entity).count()).toBe(0);

      for (let i = 0; i < m.migrations.length; i++) await ds.undoLastMigration();
      const tables = ds.entityMetadatas.map((e) => e.tableName);
      const qr = ds.createQueryRunner();
      for (const t of tables) expect(await qr.hasTable(t)).toBe(false);
      await qr.release();

      expect((await ds.runMigrations()).length).toBe(m.migrations.length);
      expect(await schemaDrift(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});
