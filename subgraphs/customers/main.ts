import { runMain } from '../_shared/subgraph-main.js';
import { customersSubgraph } from './index.js';

runMain(customersSubgraph);
