import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_MYSQL_URL } from '../../test/helpers/env.js';
import { ROOT } from '../../test/helpers/processes.js';

jest.setTimeout(60_000);

/**
 * In a real Node process (jest resolves modules through its own registry, so the cost only shows outside it):
 * opens a data source the way every deployable does, then counts how often Node resolves a module path while
 * typeorm runs queries, on the pool and in a transaction.
 */
const probe = (dataSourceJs: string) => `
const Module = require('node:module');
const { openDataSource } = require(${JSON.stringify(dataSourceJs)});
(async () => {
  const ds = await openDataSource({ url: process.env.PROBE_URL, subgraph: 'probe', entities: [], migrations: [] }, true);
  await ds.query('SELECT 1');
  await ds.transaction((m) => m.query('SELECT 1'));
  let resolved = 0;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (...args) { resolved++; return resolve.apply(this, args); };
  for (let i = 0; i < 200; i++) await ds.query('SELECT 1');
  await ds.transaction(async (m) => { for (let i = 0; i < 50; i++) await m.query('SELECT 1'); });
  Module._resolveFilename = resolve;
  await ds.destroy();
  console.log(JSON.stringify({ resolved }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('data source on MariaDB', () => {
  it('resolves no module path per query (mysql2 requires its promise wrapper inside every typeorm query)', async () => {
    const dataSourceJs = join(ROOT, 'dist/subgraphs/_shared/data-source.js');
    if (!existsSync(dataSourceJs)) throw new Error(`${dataSourceJs} is missing: run \`npm run build\` first (npm test does)`);
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe(dataSourceJs)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PROBE_URL: `${TEST_MYSQL_URL}/huiliu_test_probe` } });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ resolved: 0 });
  });
});
