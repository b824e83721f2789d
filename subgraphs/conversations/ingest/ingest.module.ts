import type { SubgraphModule } from '../../_shared/subgraph-module.js';
import { DEFAULT_CONVERSATIONS_CONFIG, type ConversationsConfig } from '../conversations.config.js';
import { createConversationsServices } from '../conversations.services.js';
import { conversationsSubgraph } from '../index.js';
import type { IngestConfig } from './ingest.config.js';

/**
 * The conversations module with ingest settings that only the composition root knows (the embedded app's
 * loopback customers URL, a test's fake platform URLs and sweep interval).
 */
export function conversationsWithIngest(ingest: Partial<IngestConfig>, base: ConversationsConfig = DEFAULT_CONVERSATIONS_CONFIG): SubgraphModule {
  const config: ConversationsConfig = { ...base, ingest: { ...base.ingest, ...ingest } };
  return { ...conversationsSubgraph, createServices: (deps) => createConversationsServices(deps, config) } as SubgraphModule;
}
