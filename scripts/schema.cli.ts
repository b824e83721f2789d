import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_SUBGRAPHS } from '../subgraphs/registry.js';
import { composeSupergraph } from './schema.compose.js';

/**
 * `npm run schema` writes schema/<subgraph>.graphql and schema/supergraph.graphql from the code;
 * `npm run schema:check` fails (exit 1) when the committed files differ from what the code emits.
 */
async function main() {
  const check = process.argv.includes('--check');
  const dir = join(process.cwd(), 'schema');
  const { subgraphs, supergraph } = await composeSupergraph(ALL_SUBGRAPHS);
  const files = [...subgraphs.map((s) => ({ file: `${s.name}.graphql`, text: s.sdl })), { file: 'supergraph.graphql', text: supergraph }];
  if (check) {
    const stale = files.filter((f) => !existsSync(join(dir, f.file)) || readFileSync(join(dir, f.file), 'utf8') !== f.text);
    if (stale.length) {
      console.error(`schema/ is out of date: ${stale.map((f) => f.file).join(', ')}. Run \`npm run schema\` and commit the result.`);
      process.exit(1);
    }
    console.log(`schema/ matches the code (${files.length} files)`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.file), f.text);
  console.log(`wrote ${files.map((f) => `schema/${f.file}`).join(', ')}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
