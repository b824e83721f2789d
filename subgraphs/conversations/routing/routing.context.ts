import type { SubgraphContext } from '../../_shared/context.js';
import type { ConversationsLoaders } from '../conversations.loaders.js';
import type { ConversationsServices } from '../conversations.services.js';
import type { RoutingLoaders } from './routing.loaders.js';

/** The conversations context with routing's per-request loaders merged in (index.ts builds both). */
export type RoutingContext = SubgraphContext<ConversationsServices, ConversationsLoaders & RoutingLoaders>;
