import type { SubgraphDeps, SubgraphModule } from '../_shared/subgraph-module.js';
import { AgentGroupResolver, AgentResolver } from './agent/agent.resolver.js';
import { ChannelResolver } from './channel/channel.resolver.js';
import { ConversationResolver } from './conversation/conversation.resolver.js';
import type { ConversationsContext } from './conversations.context.js';
import { conversationsEntities, conversationsMigrations } from './conversations.entities.js';
import { createConversationsLoaders, type ConversationsLoaders } from './conversations.loaders.js';
import { seedConversationsDemo } from './conversations.seed.js';
import { createConversationsServices, type ConversationsServices } from './conversations.services.js';
import { CustomerConversationsResolver } from './customer/customer.resolver.js';
import { ConversationsCustomerMerge1764900000000 } from '../../migrations/conversations/1764900000000-customer-merge.js';
import { customerMergeEntities } from './customer-merge/customer-merge.entity.js';
import { startConversationsCustomerMergeWorker } from './customer-merge/customer-merge.worker.js';
import { MessageResolver } from './message/message.resolver.js';
import { ActivityResolver } from './activity/activity.resolver.js';
import { ConversationLifecycleResolver } from './conversation/conversation.lifecycle.resolver.js';
import { ConversationEventResolver } from './event/event.resolver.js';
import { HandoffSummaryResolver } from './handoff/handoff.resolver.js';
import { ConversationSettingsResolver } from './settings/settings.resolver.js';
import { CustomerTimelineResolver } from './timeline/timeline.resolver.js';
import { startContextMergeWorker } from './context/context.worker.js';
import { startTicketRepliesWorker } from './ticket-replies/ticket-replies.worker.js';
import { TicketCommentReplyResolver } from './ticket-replies/ticket-comment.resolver.js';
import { TicketComment } from './ticket-replies/ticket-comment.type.js';
import { ConversationsRouting1765160000000 } from '../../migrations/conversations/1765160000000-routing.js';
import { AgentPresenceResolver, PresenceResolver } from './presence/presence.resolver.js';
import { QueuePositionResolver, QueueResolver } from './queue/queue.resolver.js';
import { startRoutingWorkersOf } from './routing/routing.composition.js';
import { seedRoutingDemo } from './routing/routing.seed.js';
import { routingEntities } from './routing/routing.entity.js';
import { createRoutingLoaders, type RoutingLoaders } from './routing/routing.loaders.js';
import {
  AgentRoutingResolver, ConversationRoutingFieldsResolver, ConversationRoutingResolver, RoutingCandidateResolver, RoutingOfferResolver, RoutingResolver,
  RoutingTraceResolver,
} from './routing/routing.resolver.js';

import { ConversationsIngest1765400000000 } from '../../migrations/conversations/1765400000000-ingest.js';
import { ConversationsChannelOwner1765600000000 } from '../../migrations/conversations/1765600000000-channel-owner.js';
import { ConversationsDeliveryRecipient1765700000000 } from '../../migrations/conversations/1765700000000-delivery-recipient.js';
import { ConversationsDeliveryPartIds1766400000000 } from '../../migrations/conversations/1766400000000-delivery-part-ids.js';
import { ConversationsPluginState1765800000000 } from '../../migrations/conversations/1765800000000-plugin-state.js';
import { ConversationsPayloadRetention1765900000000 } from '../../migrations/conversations/1765900000000-payload-retention.js';
import { ConversationsThread1766000000000 } from '../../migrations/conversations/1766000000000-conversation-thread.js';
import { ConversationsDeliveryRead1766100000000 } from '../../migrations/conversations/1766100000000-delivery-read.js';
import { ConversationsDeliveryParts1766200000000 } from '../../migrations/conversations/1766200000000-delivery-parts.js';
import { ConversationsDeliveryExternalIndex1766300000000 } from '../../migrations/conversations/1766300000000-delivery-external-index.js';
import { ConversationsIngestClaims1765500000000 } from '../../migrations/conversations/1765500000000-ingest-claims.js';
import { MessageDeliveryEntity, MessageDeliveryPartEntity } from './delivery/delivery.entity.js';
import { createDeliveryLoaders, type DeliveryLoaders } from './delivery/delivery.loaders.js';
import { MessageDeliveryResolver } from './delivery/delivery.resolver.js';
import { startIngestWorker } from './ingest/ingest.composition.js';
import { IngestResolver } from './ingest/ingest.resolver.js';
import { InboundPayloadEntity } from './ingest/payload.entity.js';
import { metricsRoute } from './ingest/channel.metrics.js';
import { widgetSocketRoute } from './ingest/widget.socket.js';
import { webhookRoute, type WebhookDeps } from './ingest/webhook.route.js';
import { pluginsRoute } from './ingest/plugins.route.js';

const loaders = (ctx: unknown) => (ctx as ConversationsContext).loaders;

/** What the webhook and the widget's socket both use: channels, ingest, metrics, and the history of a client. */
export const webhookDeps = (s: ConversationsServices, deps: SubgraphDeps): WebhookDeps => ({
  channels: s.channels, bindings: s.channelBindings, ingest: s.ingest, metrics: s.channelMetrics, traffic: s.channelTraffic, log: deps.log,
  history: (tenantId, channel, clientId, after) => s.delivery.sentTo(tenantId, channel, clientId, after),
  typing: s.typing,
});

export const conversationsSubgraph: SubgraphModule<ConversationsServices, ConversationsLoaders & RoutingLoaders & DeliveryLoaders> = {
  name: 'conversations',
  defaultPort: 4002,
  definition: {
    name: 'conversations',
    resolvers: [
      ConversationResolver, MessageResolver, AgentResolver, AgentGroupResolver, ChannelResolver, CustomerConversationsResolver,
      ConversationLifecycleResolver, ConversationEventResolver, HandoffSummaryResolver, CustomerTimelineResolver, ConversationSettingsResolver, ActivityResolver,
      RoutingResolver, RoutingOfferResolver, ConversationRoutingResolver, ConversationRoutingFieldsResolver, RoutingTraceResolver, RoutingCandidateResolver,
      AgentRoutingResolver, PresenceResolver, AgentPresenceResolver, QueueResolver, QueuePositionResolver,
      IngestResolver, MessageDeliveryResolver, TicketCommentReplyResolver,
    ],
    // Reachable from no field here: the gateway enters it by its key, from a ticket's comments.
    orphanedTypes: [TicketComment],
    references: {
      Conversation: (ref, ctx) => loaders(ctx).conversationById.load(ref.id),
      Message: (ref, ctx) => loaders(ctx).messageById.load(ref.id),
      Agent: (ref, ctx) => loaders(ctx).agentById.load(ref.id),
      AgentGroup: (ref, ctx) => loaders(ctx).groupById.load(ref.id),
      Channel: (ref, ctx) => loaders(ctx).channelById.load(ref.id),
      ConversationEvent: (ref, ctx) => loaders(ctx).eventById.load(ref.id),
      HandoffSummary: (ref, ctx) => loaders(ctx).handoffById.load(ref.id),
      RoutingOffer: (ref, ctx) => (ctx as { loaders: RoutingLoaders }).loaders.routingOfferById.load(ref.id),
      // Customer is owned by the customers subgraph: the key is all this subgraph knows.
      Customer: (ref) => ({ id: ref.id }),
      // TicketComment is owned by tickets; its `reply` is looked up under the caller's tenant.
      TicketComment: (ref) => ({ id: ref.id }),
    },
  },
  entities: [...conversationsEntities, ...customerMergeEntities, ...routingEntities, InboundPayloadEntity, MessageDeliveryEntity, MessageDeliveryPartEntity],
  migrations: [...conversationsMigrations, ConversationsCustomerMerge1764900000000, ConversationsRouting1765160000000, ConversationsIngest1765400000000, ConversationsIngestClaims1765500000000, ConversationsChannelOwner1765600000000, ConversationsDeliveryRecipient1765700000000, ConversationsPluginState1765800000000, ConversationsPayloadRetention1765900000000, ConversationsThread1766000000000, ConversationsDeliveryRead1766100000000, ConversationsDeliveryParts1766200000000, ConversationsDeliveryExternalIndex1766300000000, ConversationsDeliveryPartIds1766400000000],
  createServices: createConversationsServices,
  createLoaders: (s, viewer) => ({ ...createConversationsLoaders(s, viewer), ...createRoutingLoaders(s, viewer), ...createDeliveryLoaders(s, viewer) }),
  seedDemo: async (s) => {
    await seedConversationsDemo(s);
    await seedRoutingDemo(s);
  },
  startWorkers: async (s, deps) => [await startConversationsCustomerMergeWorker(deps), await startTicketRepliesWorker(s, deps), ...(await startRoutingWorkersOf(s, deps)), await startContextMergeWorker(s.context, deps), await startIngestWorker(s, deps)],
  // POST/GET /webhooks/:channelId (the gateway forwards them unchanged): raw bytes, before any body parser.
  // GET /metrics: Prometheus, on this deployable's internal port only (the gateway does not forward it).
  routes: (s, deps) => {
    const webhooks = webhookRoute(webhookDeps(s, deps));
    const metrics = metricsRoute(s.channelMetrics);
    const plugins = pluginsRoute(s.plugins, s.healthBoard, deps.pubsub, deps.log.child({ component: 'plugins' }));
    return (req, res) => webhooks(req, res) || metrics(req, res) || plugins(req, res);
  },
  // GET /webhooks/:channelId with Upgrade: websocket: the chat widget's and the app's live connection.
  upgrades: (s, deps) => widgetSocketRoute({ ...webhookDeps(s, deps), connections: s.liveConnections }),
};
