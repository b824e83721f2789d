import { createMemoryCache } from '../_shared/cache.js';
import type { SubgraphDeps } from '../_shared/subgraph-module.js';
import { createJiebaSegmenter, createSummarizer, ExtractiveSummarizer, type Summarizer } from '../../plugins/ai-summarizer/index.js';
import { ActivityService } from './activity/activity.service.js';
import { AgentService } from './agent/agent.service.js';
import { ChannelService } from './channel/channel.service.js';
import { ConversationContextService } from './context/context.service.js';
import { ConversationService } from './conversation/conversation.service.js';
import { DEFAULT_CONVERSATIONS_CONFIG, type ConversationsConfig } from './conversations.config.js';
import { ConversationEventService } from './event/event.service.js';
import { HandoffService } from './handoff/handoff.service.js';
import { createIngestServices, type IngestServices } from './ingest/ingest.composition.js';
import { MessageService } from './message/message.service.js';
import { ReadService } from './read/read.service.js';
import { createRoutingServices, type RoutingServices } from './routing/routing.composition.js';
import { ConversationSettingsService } from './settings/settings.service.js';
import { TimelineService } from './timeline/timeline.service.js';

export interface ConversationsServices extends RoutingServices, IngestServices {
  agents: AgentService;
  channels: ChannelService;
  conversations: ConversationService;
  messages: MessageService;
  lifecycle: ConversationEventService;
  activity: ActivityService;
  settings: ConversationSettingsService;
  context: ConversationContextService;
  handoffs: HandoffService;
  reads: ReadService;
  timeline: TimelineService;
  summarizer: Summarizer;
}

/**
 * The subgraph's composition: deps from the deployable's root (database, pub/sub, bus, cache) and its own config.
 * Without a cache (an older root) the context lives in process memory, like embedded mode.
 */
export function createConversationsServices(deps: SubgraphDeps, config: ConversationsConfig = DEFAULT_CONVERSATIONS_CONFIG): ConversationsServices {
  const log = deps.log;
  const segmenter = createJiebaSegmenter(); // one dictionary for both summarizers, loaded on first use
  const summarizer = createSummarizer(config.summarizer, { segmenter, onFallback: (reason) => log.warn({ reason }, 'summary provider failed; built-in used') });
  const agents = new AgentService(deps.dataSource);
  const channels = new ChannelService(deps.dataSource);
  const lifecycle = new ConversationEventService(deps.dataSource);
  const activity = new ActivityService(deps.dataSource, deps.pubsub, log);
  const settings = new ConversationSettingsService(deps.dataSource, { reopenWindowHours: config.reopenWindowHours });
  const cache = deps.cache ?? createMemoryCache();
  const context = new ConversationContextService(deps.dataSource, cache, new ExtractiveSummarizer(segmenter), log);
  const handoffs = new HandoffService(deps.dataSource, summarizer, lifecycle, log);
  const reads = new ReadService(deps.dataSource);
  const conversations = new ConversationService(deps.dataSource, deps.events, deps.pubsub, agents, channels, log, { lifecycle, activity, settings, context, handoffs, reads });
  const messages = new MessageService(deps.dataSource, deps.pubsub, conversations);
  const timeline = new TimelineService(deps.dataSource);
  const routing = createRoutingServices(deps, { conversations, agents });
  const ingest = createIngestServices({ ...deps, cache }, { channels, conversations, messages, activity }, config.ingest);
  return { agents, channels, conversations, messages, lifecycle, activity, settings, context, handoffs, reads, timeline, summarizer, ...routing, ...ingest };
}
