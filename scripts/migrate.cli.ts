import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { buildDataSource, ensureDatabase } from '../subgraphs/_shared/data-source.js';
import { ALL_SUBGRAPHS } from '../subgraphs/registry.js';

/**
 * npm run migrate [-- --subgraph customers] [--revert] [--database-url URL]
 * Runs (or reverts the last of) each subgraph's migrations on DATABASE_URL (default: the embedded SQLite files).
 */
async function main() {
  const { values } = parseArgs({ options: { subgraph: { type: 'string' }, revert: { type: 'boolean', default: false }, 'database-url': { type: 'string' } } });
  const modules = ALL_SUBGRAPHS.filter((m) => !values.subgraph || m.name === values.subgraph);
  if (!modules.length) throw new Error(`unknown subgraph ${values.subgraph}; one of ${ALL_SUBGRAPHS.map((m) => m.name).join(', ')}`);
  for (const m of modules) {
    const url = values['database-url'] ?? process.env.DATABASE_URL ?? `sqlite:${process.env.DATA_DIR ?? './data'}/${m.name}.sqlite`;
    const flavor = await ensureDatabase(url);
    const ds = buildDataSource({ url, flavor, subgraph: m.name, entities: m.entities, migrations: m.migrations });
    await ds.initialize();
    try {
      if (values.revert) {
        await ds.undoLastMigration({ transaction: 'each' });
        console.log(`${m.name}: reverted the last migration`);
      } else {
        const ran = await ds.runMigrations({ transaction: 'each' });
        console.log(`${m.name}: ${ran.length ? ran.map((r) => r.name).join(', ') : 'up to date'}`);
      }
    } finally {
      await ds.destroy();
    }
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
