import type { SubgraphContext } from '../_shared/context.js';
import type { ConversationsLoaders } from './conversations.loaders.js';
import type { ConversationsServices } from './conversations.services.js';

export type ConversationsContext = SubgraphContext<ConversationsServices, ConversationsLoaders>;
