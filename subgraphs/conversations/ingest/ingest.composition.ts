import Redis from 'ioredis';
import { createRedisAckPressure } from './ack-pressure.js';
import { createPluginHost, MemoryKeyValueStore, RedisKeyValueStore, systemClock, type PluginHost } from '../../../plugins/host/index.js';
import { createMemoryCache } from '../../_shared/cache.js';
import { KeyedCipher } from '../../_shared/keyring.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import { ChannelAdminService } from '../channel/channel.admin.service.js';
import { announceChannelChanges, startChannelChangeListener } from '../channel/channel.changes.js';
import { ChannelHealthBoard, startHealthReports } from '../channel/channel.health-board.js';
import { ChannelSecrets } from '../channel/channel.secrets.js';
import { ChannelSecretSweep } from '../channel/channel.secrets.sweep.js';
import { ChannelTraffic } from '../channel/channel.traffic.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import type { MessageService } from '../message/message.service.js';
import { ChannelBindings } from './channel-bindings.js';
import { createIdentityClient, type IdentityResolver } from './identity.client.js';
import { startIdentityCacheInvalidation } from './identity.invalidation.js';
import { DEFAULT_INGEST_CONFIG, DEFAULT_RETENTION_DAYS, type IngestConfig } from './ingest.config.js';
import { PayloadRetention } from './payload.retention.js';
import { ChannelMetrics } from './channel.metrics.js';
import { InboundPayloadAdmin } from './ingest.admin.js';
import { INBOUND_STORED, INGEST_PROCESSORS_GROUP, INGEST_TOPIC, IngestService } from './ingest.service.js';
import { LiveConnections } from './live-connections.js';
import { PersistentKeyValueStore } from './plugin-state.store.js';
import { TypingRelay } from './typing.relay.js';
import type { ActivityService } from '../activity/activity.service.js';
import { startPluginEnableListener } from './plugins.route.js';
import { createPullPoller } from './pull.poller.js';

export interface IngestServices {
  plugins: PluginHost;
  channelBindings: ChannelBindings;
  channelAdmin: ChannelAdminService;
  ingest: IngestService;
  /** Deletes processed payloads past INGEST_RETENTION_DAYS (the worker, on processing replicas). */
  payloadRetention: PayloadRetention;
  /** Admins' view of stored payloads: lists, backlog, replays (tenant-scoped). */
  inboundAdmin: InboundPayloadAdmin;
  /** Prometheus metrics of webhooks, processing and sends (GET /metrics on this deployable's port). */
  channelMetrics: ChannelMetrics;
  /** Per channel: the last accepted and the last refused webhook (Channel.traffic). */
  channelTraffic: ChannelTraffic;
  /** Every replica's plugin and channel health, through the shared cache (Channel.health, GET /plugins). */
  healthBoard: ChannelHealthBoard;
  delivery: DeliveryService;
  /** Who sent an inbound message (cached per sender; merges invalidate it on every replica). */
  identities: IdentityResolver;
  /** Channel secrets sealed at rest, and the boot sweep that seals old rows and follows key rotations. */
  channelSecrets: ChannelSecrets;
  channelSecretSweep: ChannelSecretSweep;
  /** The widget's and the app's live WebSockets, across replicas (the plugins' ClientConnections). */
  liveConnections: LiveConnections;
  /** A widget or app client's typing, to the agents of its conversation. */
  typing: TypingRelay;
  /** The plugins' state kept in the database when there is no Redis (embedded mode); null with Redis. */
  pluginState: PersistentKeyValueStore | null;
  /** Closes what the composition opened (the plugins' Redis connection). */
  closeIngest(): Promise<void>;
}

/**
 * Channel plugins, webhooks ingest and outbound delivery for the conversations subgraph. The plugins' key-value
 * store (tokens, cursors, reply windows) is Redis when distributed, so replicas share it; the database when
 * embedded (memory written through to `plugin_state`), so a restart keeps it.
 */
export function createIngestServices(
  deps: SubgraphDeps,
  d: { channels: ChannelService; conversations: ConversationService; messages: MessageService; activity: ActivityService },
  partial: Partial<IngestConfig> = {},
  identities?: IdentityResolver,
): IngestServices {
  const config: IngestConfig = { ...DEFAULT_INGEST_CONFIG, ...partial };
  const log = deps.log.child({ component: 'ingest' });
  const cache = deps.cache ?? createMemoryCache(); // conversations.services passes its cache
  const redis = deps.redis ? new Redis(deps.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true }) : null;
  const liveConnections = new LiveConnections(log, redis ? {
    publisher: redis,
    subscriber: new Redis(deps.redis!.url, { lazyConnect: true, maxRetriesPerRequest: null }),
    prefix: `${deps.redis!.prefix}live:`,
  } : undefined);
  const pluginState = redis ? null : new PersistentKeyValueStore(deps.dataSource, log, systemClock);
  const plugins = createPluginHost({ plugins: config.plugins, logger: log, disableAfter: config.pluginDisableAfter, http: { blockPrivateAddresses: config.blockPrivateAddresses }, signatureStore: redis ? undefined : new MemoryKeyValueStore(), kv: redis ? new RedisKeyValueStore(redis, `${deps.redis!.prefix}plugins:`) : pluginState!, connections: liveConnections });
  const cipher = new KeyedCipher(config.secretKeys.keys, config.secretKeys.activeKeyId, { label: 'channel secret' });
  const channelSecrets = new ChannelSecrets(cipher, plugins);
  const channelBindings = new ChannelBindings(plugins, channelSecrets);
  const identity = identities ?? createIdentityClient({ url: config.customersUrl, secret: config.jwtSecret });
  // The metrics read the ingest service at scrape time; it records into them as it works.
  const metrics: ChannelMetrics = new ChannelMetrics({ backlog: () => ingest.backlogTotals(), local: () => ingest.localState() });
  const delivery = new DeliveryService(deps.dataSource, d.channels, channelBindings, config, log, metrics, d.activity);
  const typing = new TypingRelay(cache, d.conversations, d.activity, log, { channels: d.channels, bindings: channelBindings, recipients: delivery });
  // distributed: acknowledging replicas (role receive, the edge) tell processing ones when acknowledgements are slow
  const pressure = redis ? createRedisAckPressure(redis, `${deps.redis!.prefix}ingest:ack-pressure`) : undefined;
  const ingest: IngestService = new IngestService(deps.dataSource, d.channels, channelBindings, d.conversations, d.messages, identity, deps.events, log, config, metrics, typing, delivery, pressure);
  const inboundAdmin = new InboundPayloadAdmin(deps.dataSource, ingest);
  const payloadRetention = new PayloadRetention(deps.dataSource, config.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const channelTraffic = new ChannelTraffic(cache, log);
  const healthBoard = new ChannelHealthBoard(plugins, cache, log, config.replicaId);
  const channelAdmin = new ChannelAdminService(d.channels, channelBindings, channelSecrets, config.publicBaseUrl, healthBoard, announceChannelChanges(deps.pubsub), config.blockPrivateAddresses);
  const channelSecretSweep = new ChannelSecretSweep(deps.dataSource, channelSecrets, deps.log.child({ component: 'channel-secrets' }));
  return {
    plugins, channelBindings, channelAdmin, ingest, payloadRetention, inboundAdmin, channelMetrics: metrics, channelTraffic, healthBoard, delivery, identities: identity, channelSecrets, channelSecretSweep, liveConnections, pluginState, typing,
    async closeIngest() {
      await liveConnections.close(); // disconnects `redis` too, its publisher
    },
  };
}

/** How often a processing replica deletes processed payloads past their retention (up to 10,000 rows a sweep). */
const PURGE_EVERY_MS = 60_000;

/** Starts the plugins' I/O and the sweeper (stored-but-unprocessed payloads, due retries and deliveries). */
export async function startIngestWorker(s: IngestServices & { channels: ChannelService }, deps: SubgraphDeps): Promise<Worker> {
  await s.pluginState?.load(); // what the plugins kept before a restart, before they start pulling
  await s.plugins.start();
  const pull = createPullPoller(s, deps); // pull channels (Taobao TMC): one replica per channel at a time
  pull.start();
  let stopping = false;
  const sealing = s.channelSecretSweep.sweep({ shouldStop: () => stopping }).catch((err) => deps.log.error({ err }, 'channel secrets sweep failed; it runs again at the next boot'));
  const identityCache = await startIdentityCacheInvalidation(s.identities, deps);
  const channelChanges = startChannelChangeListener(deps.pubsub, (id) => s.channelBindings.forget(id));
  const pluginEnables = startPluginEnableListener(deps.pubsub, (id) => s.plugins.enablePlugin(id));
  const healthReports = startHealthReports(s.healthBoard, deps.log);
  // Processing replicas take the payloads that `receive` replicas stored (each batch goes to one of them).
  const processes = (s.ingest.config.role ?? 'all') === 'all';
  const handOffs = processes
    ? await deps.events.consume(INGEST_PROCESSORS_GROUP, async (e) => {
      if (e.type !== INBOUND_STORED) return;
      const { ids, holder } = e.data as { ids?: unknown; holder?: unknown };
      s.ingest.enqueue(ids instanceof Array ? ids.filter((x): x is string => typeof x === 'string') : [], typeof holder === 'string' ? holder : undefined);
    }, { topic: INGEST_TOPIC })
    : null;
  const every = s.ingest.config.sweepIntervalMs;
  let running = false;
  let booted = false;
  let purgedAt = -Infinity;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (processes) await s.ingest.sweep(booted ? undefined : 0);
      booted = true;
      await s.delivery.sweep();
      // Retention, at boot and then once a minute, on the replicas that process (several at once only repeat a
      // DELETE); a backlog goes on at the next sweep.
      if (processes && Date.now() - purgedAt >= PURGE_EVERY_MS) {
        const { deleted, more } = await s.payloadRetention.purge();
        if (!more) purgedAt = Date.now();
        if (deleted) deps.log.info({ deleted, retentionDays: s.payloadRetention.days }, 'processed inbound payloads past their retention deleted');
      }
    } catch (err) {
      deps.log.warn({ err }, 'ingest sweep failed');
    } finally {
      running = false;
    }
  };
  const timer = every > 0 ? setInterval(() => void tick(), every) : null;
  timer?.unref();
  if (every > 0) void tick(); // at boot: whatever a previous process acknowledged but did not process
  return {
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await pull.stop();
      await handOffs?.stop();
      await identityCache.stop();
      await channelChanges.stop();
      await pluginEnables.stop();
      await healthReports.stop();
      await sealing;
      await s.ingest.stop();
      await s.plugins.stop();
      await s.pluginState?.flushed();
      await s.closeIngest();
    },
  };
}

/**
 * The edge's share of the worker (GATEWAY_INGEST=edge, conversations.edge.ts): the plugins started, bindings that
 * follow channel changes and plugin re-enables, and this process's plugin health on the shared board. Nothing is
 * pulled, processed, swept or delivered here: the conversations replicas do that.
 */
export async function startEdgeIngestWorker(s: IngestServices, deps: SubgraphDeps): Promise<Worker> {
  await s.plugins.start();
  const channelChanges = startChannelChangeListener(deps.pubsub, (id) => s.channelBindings.forget(id));
  const pluginEnables = startPluginEnableListener(deps.pubsub, (id) => s.plugins.enablePlugin(id));
  const healthReports = startHealthReports(s.healthBoard, deps.log);
  return {
    async stop() {
      await channelChanges.stop();
      await pluginEnables.stop();
      await healthReports.stop();
      await s.ingest.stop();
      await s.plugins.stop();
      await s.closeIngest();
    },
  };
}
