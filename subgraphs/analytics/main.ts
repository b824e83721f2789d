import { runMain } from '../_shared/subgraph-main.js';
import { analyticsSubgraph } from './index.js';

runMain(analyticsSubgraph);
