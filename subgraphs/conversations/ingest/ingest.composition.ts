import Redis from 'ioredis';
import { createPluginHost, RedisKeyValueStore, type PluginHost } from '../../../plugins/host/index.js';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import { ChannelAdminService } from '../channel/channel.admin.service.js';
import type { ChannelService } from '../channel/channel.service.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import { DeliveryService } from '../delivery/delivery.service.js';
import type { MessageService } from '../message/message.service.js';
import { ChannelBindings } from './channel-bindings.js';
import { createIdentityClient, type IdentityResolver } from './identity.client.js';
import { DEFAULT_INGEST_CONFIG, type IngestConfig } from './ingest.config.js';
import { IngestService } from './ingest.service.js';

export interface IngestServices {
  plugins: PluginHost;
  channelBindings: ChannelBindings;
  channelAdmin: ChannelAdminService;
  ingest: IngestService;
  delivery: DeliveryService;
  /** Closes what the composition opened (the plugins' Redis connection). */
  closeIngest(): Promise<void>;
}

/**
 * Channel plugins, webhooks ingest and outbound delivery for the conversations subgraph. The plugins' key-value
 * store (tokens, cursors, reply windows) is Redis when distributed, so replicas share it; memory when embedded.
 */
export function createIngestServices(
  deps: SubgraphDeps,
  d: { channels: ChannelService; conversations: ConversationService; messages: MessageService },
  partial: Partial<IngestConfig> = {},
  identities?: IdentityResolver,
): IngestServices {
  const config: IngestConfig = { ...DEFAULT_INGEST_CONFIG, ...partial };
  const log = deps.log.child({ component: 'ingest' });
  const redis = deps.redis ? new Redis(deps.redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 }) : null;
  const plugins = createPluginHost({ plugins: config.plugins, logger: log, kv: redis ? new RedisKeyValueStore(redis, `${deps.redis!.prefix}plugins:`) : undefined });
  const channelBindings = new ChannelBindings(plugins);
  const identity = identities ?? createIdentityClient({ url: config.customersUrl, secret: config.jwtSecret });
  const ingest = new IngestService(deps.dataSource, d.channels, channelBindings, d.conversations, d.messages, identity, deps.events, log, config);
  const delivery = new DeliveryService(deps.dataSource, d.channels, channelBindings, config, log);
  const channelAdmin = new ChannelAdminService(d.channels, channelBindings, config.publicBaseUrl);
  return {
    plugins, channelBindings, channelAdmin, ingest, delivery,
    async closeIngest() { redis?.disconnect(); },
  };
}

/** Starts the plugins' I/O and the sweeper (stored-but-unprocessed payloads, due retries and deliveries). */
export async function startIngestWorker(s: IngestServices, deps: SubgraphDeps): Promise<Worker> {
  await s.plugins.start();
  const every = s.ingest.config.sweepIntervalMs;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await s.ingest.sweep();
      await s.delivery.sweep();
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
      if (timer) clearInterval(timer);
      await s.ingest.stop();
      await s.plugins.stop();
      await s.closeIngest();
    },
  };
}
