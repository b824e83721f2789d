import { runMain } from '../_shared/subgraph-main.js';
import { knowledgeSubgraph } from './index.js';

runMain(knowledgeSubgraph);
