import { runMain } from '../_shared/subgraph-main.js';
import { knowledgeOptionsFromEnv } from './config.js';
import { createKnowledgeSubgraph } from './index.js';

// The composition root: the only reader of process.env for the knowledge-specific settings.
try {
  runMain(createKnowledgeSubgraph(knowledgeOptionsFromEnv(process.env)));
} catch (err) {
  console.error(err instanceof Error && err.name === 'ConfigError' ? err.message : err);
  process.exit(1);
}
