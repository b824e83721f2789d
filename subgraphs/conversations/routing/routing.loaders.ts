import DataLoader from 'dataloader';
import type { Viewer } from '../../_shared/auth.js';
import { byIdLoader, emptyLoader } from '../../_shared/loaders.js';
import { PresenceStatus, type PresenceRecord } from '../presence/presence.store.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { AgentLoadEntity, RoutingEntryEntity, RoutingOfferEntity } from './routing.entity.js';
import type { RoutingService } from './routing.service.js';

export interface RoutingLoaders {
  routingEntryByConversation: DataLoader<string, RoutingEntryEntity | null>;
  routingOfferById: DataLoader<string, RoutingOfferEntity | null>;
  presenceByAgent: DataLoader<string, PresenceRecord>;
  loadsByAgent: DataLoader<string, AgentLoadEntity[]>;
  skillsByAgent: DataLoader<string, string[]>;
  /** Queue position (1 = next) of a waiting entry, by entry; null when not waiting. */
  queuePosition: DataLoader<RoutingEntryEntity, number | null, string>;
}

interface RoutingServicesLike {
  routing: RoutingService;
  presence: PresenceService;
}

/** Per request, tenant-scoped: one query (or one Redis round trip) per field per request, whatever the list size. */
export function createRoutingLoaders(s: RoutingServicesLike, viewer: Viewer | null): RoutingLoaders {
  if (!viewer) {
    return {
      routingEntryByConversation: emptyLoader(null), routingOfferById: emptyLoader(null),
      presenceByAgent: new DataLoader(async (ids) => ids.map((agentId) => ({ agentId, status: PresenceStatus.OFFLINE, since: 0, heartbeatAt: null }))),
      loadsByAgent: emptyLoader([]), skillsByAgent: emptyLoader([]),
      queuePosition: new DataLoader(async (keys) => keys.map(() => null), { cacheKeyFn: (e) => e.id }),
    };
  }
  const t = viewer.tenant;
  return {
    routingEntryByConversation: new DataLoader(async (ids) => {
      const rows = await s.routing.entriesOf(t, ids);
      const by = new Map(rows.map((r) => [r.conversationId, r]));
      return ids.map((id) => by.get(id) ?? null);
    }),
    routingOfferById: byIdLoader((ids) => s.routing.offersByIds(t, ids)),
    presenceByAgent: new DataLoader(async (ids) => {
      const m = await s.presence.get(t, ids);
      return ids.map((id) => m.get(id)!);
    }),
    loadsByAgent: new DataLoader(async (ids) => {
      const rows = await s.routing.loadsOf(t, ids);
      return ids.map((id) => rows.filter((r) => r.agentId === id).sort((a, b) => a.channelClass.localeCompare(b.channelClass)));
    }),
    skillsByAgent: new DataLoader(async (ids) => {
      const m = await s.routing.profilesOf(t, ids);
      return ids.map((id) => m.get(id) ?? []);
    }),
    queuePosition: new DataLoader(
      async (entries) => s.routing.positions(t, entries),
      { cacheKeyFn: (e) => e.id },
    ),
  };
}
