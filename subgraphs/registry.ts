import type { SubgraphModule } from './_shared/subgraph-module.js';
import { analyticsSubgraph } from './analytics/index.js';
import { conversationsSubgraph } from './conversations/index.js';
import { customersSubgraph } from './customers/index.js';
import { knowledgeSubgraph } from './knowledge/index.js';
import { ticketsSubgraph } from './tickets/index.js';

/** Every subgraph, in start order (analytics first so its consumer sees the events that seeding publishes). */
export const ALL_SUBGRAPHS: SubgraphModule[] = [analyticsSubgraph, customersSubgraph, conversationsSubgraph, ticketsSubgraph, knowledgeSubgraph];
