import { runMain } from '../_shared/subgraph-main.js';
import { ticketsSubgraph } from './index.js';

runMain(ticketsSubgraph);
