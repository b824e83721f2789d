import { runMain } from '../_shared/subgraph-main.js';
import { conversationsSubgraph } from './index.js';

runMain(conversationsSubgraph);
