import type { EventBus } from '../../_shared/events.js';
import type { Logger } from '../../_shared/logger.js';
import type { PubSub } from '../../_shared/pubsub.js';
import type { AgentService } from '../agent/agent.service.js';
import type { RoutingRulesService } from '../routing/routing.rules.service.js';
import { PresenceStatus, type PresenceChange, type PresenceRecord, type PresenceStore } from './presence.store.js';

/** Pub/sub topic of one tenant's presence changes (supervisors' agentPresenceChanged). */
export const presenceTopic = (tenantId: string) => `routing.presence.${tenantId}`;

/** What travels on the topic: ids and a status, nothing personal. */
export interface PresenceEvent {
  tenantId: string;
  agentId: string;
  status: PresenceStatus;
  previous: PresenceStatus;
  since: number;
}

export type PresenceListener = (change: PresenceChange) => Promise<void>;

/**
 * Agent presence: explicit status changes, heartbeats (a heartbeat mutation, or an open myAssignments
 * subscription, which beats while the graphql-ws connection lives) and expiry after the tenant's grace period.
 * Every change is published to supervisors and handed to routing (pull work when ONLINE, take back offers otherwise).
 */
export class PresenceService {
  private readonly listeners: PresenceListener[] = [];

  constructor(
    private readonly store: PresenceStore,
    private readonly agents: AgentService,
    private readonly rules: RoutingRulesService,
    private readonly pubsub: PubSub,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  onChange(listener: PresenceListener): void {
    this.listeners.push(listener);
  }

  private async graceMs(tenantId: string): Promise<number> {
    return (await this.rules.get(tenantId)).presence.graceSeconds * 1000;
  }

  /** NOT_FOUND for an agent of another tenant. */
  async setStatus(tenantId: string, agentId: string, status: PresenceStatus): Promise<PresenceRecord> {
    await this.agents.get(tenantId, agentId);
    const { previous, record, changed } = await this.store.setStatus(tenantId, agentId, status, this.clock(), await this.graceMs(tenantId));
    if (changed || previous !== status) await this.announce({ tenantId, agentId, previous, record });
    return record;
  }

  /** Keeps a non-OFFLINE agent alive; null when there is nothing to keep (OFFLINE or already expired). */
  async heartbeat(tenantId: string, agentId: string): Promise<PresenceRecord | null> {
    return this.store.heartbeat(tenantId, agentId, this.clock(), await this.graceMs(tenantId));
  }

  get(tenantId: string, agentIds: readonly string[]): Promise<Map<string, PresenceRecord>> {
    return this.store.get(tenantId, agentIds);
  }

  all(tenantId: string): Promise<PresenceRecord[]> {
    return this.store.all(tenantId);
  }

  /** Marks the agents whose heartbeat ran out OFFLINE (each change reported once, whichever replica sweeps). */
  async expire(): Promise<PresenceChange[]> {
    const changes = await this.store.expire(this.clock());
    for (const c of changes) await this.announce(c);
    return changes;
  }

  /**
   * Heartbeats every third of the grace period while a subscription is open; the returned stop() ends it. A
   * connection that goes away stops the beats, and the agent goes OFFLINE when the grace period is over.
   */
  keepAlive(tenantId: string, agentId: string): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const beat = async () => {
      if (stopped) return;
      try {
        await this.heartbeat(tenantId, agentId);
      } catch (err) {
        this.log.warn({ err, tenantId }, 'presence heartbeat failed');
      }
      if (!stopped) {
        timer = setTimeout(() => void beat(), Math.max(200, (await this.graceMs(tenantId).catch(() => 60_000)) / 3));
        timer.unref(); // a subscription never keeps a stopping process alive
      }
    };
    void beat();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }

  /** The tenant's presence changes (the topic is per tenant; the check below is belt and braces). */
  watch(tenantId: string): AsyncIterableIterator<PresenceRecord> {
    const source = this.pubsub.subscribe<PresenceEvent>(presenceTopic(tenantId));
    const done = (): IteratorResult<PresenceRecord> => ({ done: true, value: undefined });
    const it: AsyncIterableIterator<PresenceRecord> = {
      next: async () => {
        for (;;) {
          const r = await source.next();
          if (r.done) return done();
          const e = r.value;
          if (e?.tenantId === tenantId) return { done: false, value: { agentId: e.agentId, status: e.status, since: e.since, heartbeatAt: null } };
        }
      },
      return: async () => {
        await source.return?.();
        return done();
      },
      throw: async (err?: unknown) => {
        await source.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private async announce(c: PresenceChange): Promise<void> {
    const e: PresenceEvent = { tenantId: c.tenantId, agentId: c.agentId, status: c.record.status, previous: c.previous, since: c.record.since };
    try {
      await this.pubsub.publish(presenceTopic(c.tenantId), { ...e });
    } catch (err) {
      this.log.warn({ err, tenantId: c.tenantId }, 'presence change not published');
    }
    await this.events.publish({ type: 'agent.presence_changed', tenantId: c.tenantId, data: { agentId: c.agentId, status: c.record.status, previous: c.previous } });
    for (const l of this.listeners) {
      try {
        await l(c);
      } catch (err) {
        this.log.error({ err, tenantId: c.tenantId }, 'presence listener failed');
      }
    }
  }
}
