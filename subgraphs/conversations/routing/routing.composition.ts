import Redis from 'ioredis';
import type { SubgraphDeps, Worker } from '../../_shared/subgraph-module.js';
import type { AgentService } from '../agent/agent.service.js';
import type { ConversationService } from '../conversation/conversation.service.js';
import { PresenceService } from '../presence/presence.service.js';
import { createMemoryPresenceStore, createRedisPresenceStore } from '../presence/presence.store.js';
import { QueueService } from '../queue/queue.service.js';
import {
  createMemoryActivation, createMemoryCoordinator, createMemoryScheduler, createRedisActivation, createRedisCoordinator, createRedisScheduler, type Coordinator,
} from './routing.coordination.js';
import { RoutingRulesService } from './routing.rules.service.js';
import { RoutingService } from './routing.service.js';
import { RoutingStore } from './routing.store.js';
import { startRoutingWorkers } from './routing.worker.js';

export interface RoutingServices {
  routing: RoutingService;
  routingRules: RoutingRulesService;
  presence: PresenceService;
  queue: QueueService;
  routingRuntime: { coordinator: Coordinator; close(): Promise<void> };
}

/**
 * Routing's part of the subgraph's composition. Presence and the dispatch/sweep leases live in Redis when the
 * deployable has one (deps.redis), so every replica shares them and presence survives a restart; embedded mode
 * (no Redis) gets in-memory stores behind the same interfaces.
 */
export function createRoutingServices(deps: SubgraphDeps, base: { conversations: ConversationService; agents: AgentService }): RoutingServices {
  const log = deps.log.child({ component: 'routing' });
  // Auto-pipelining: the commands one routing step issues together (presence, timers, leases) share a round trip.
  const redis = deps.redis ? new Redis(deps.redis.url, { maxRetriesPerRequest: 3, lazyConnect: true, enableAutoPipelining: true }) : null;
  const prefix = deps.redis?.prefix ?? '';
  const store = new RoutingStore(deps.dataSource);
  const routingRules = new RoutingRulesService(deps.dataSource, base.agents);
  const coordinator = redis ? createRedisCoordinator(redis, prefix) : createMemoryCoordinator();
  const presence = new PresenceService(redis ? createRedisPresenceStore(redis, prefix) : createMemoryPresenceStore(), base.agents, routingRules, deps.pubsub, deps.events, log);
  const queue = new QueueService(store, deps.pubsub, log);
  const scheduler = redis ? createRedisScheduler(redis, prefix) : createMemoryScheduler();
  const activation = redis ? createRedisActivation(redis, prefix) : createMemoryActivation();
  const routing = new RoutingService({
    store, rules: routingRules, presence, queue, conversations: base.conversations, agents: base.agents, coordinator, scheduler, activation,
    events: deps.events, pubsub: deps.pubsub, log,
  });
  return {
    routing, routingRules, presence, queue,
    routingRuntime: {
      coordinator,
      close: async () => {
        redis?.disconnect();
        await store.close();
      },
    },
  };
}

export function startRoutingWorkersOf(s: RoutingServices, deps: SubgraphDeps): Promise<Worker[]> {
  return startRoutingWorkers({ ...s, coordinator: s.routingRuntime.coordinator, events: deps.events, log: deps.log, close: s.routingRuntime.close });
}
