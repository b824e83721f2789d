import { LessThanOrEqual, type DataSource } from 'typeorm';
import type { Logger } from '../../_shared/logger.js';
import type { Worker } from '../../_shared/subgraph-module.js';
import { TicketEntity } from '../ticket/ticket.entity.js';
import type { TicketActor } from '../ticket/ticket.model.js';
import type { TicketService } from '../ticket/ticket.service.js';
import type { Clock } from '../tickets.clock.js';
import { nextCheck } from './sla.clock.js';
import { TicketSlaClockEntity } from './sla.entity.js';
import { fromData, rowLock, toData, type SlaNotice } from './sla.service.js';

export const SCHEDULER_ACTOR: TicketActor = { id: 'sla-scheduler', kind: 'SYSTEM' };

export interface TickResult {
  warnings: number;
  breaches: number;
}

/**
 * Emits `ticket.sla.warning` (once the policy's share of a target has elapsed) and `ticket.sla.breached` (once the
 * deadline passed unmet), each exactly once per clock, as domain events, history entries and ticketUpdated pushes.
 *
 * Leader-safe without a leader: every replica may tick. A claim happens in a transaction that locks the ticket row
 * (then the clock) and re-checks the clock's flags, so a second replica that picked the same clock finds it done and
 * emits nothing. Ticket writes lock in the same order, so a pause or a reply racing a breach is seen by both sides.
 */
export class SlaScheduler {
  constructor(
    private readonly ds: DataSource,
    private readonly tickets: TicketService,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * One pass over the clocks that need attention now. The lookup is the only read across tenants in this
   * subgraph (a background sweep has no viewer); each clock is then handled in its own tenant.
   */
  async tick(batchSize = 200): Promise<TickResult> {
    const now = this.clock.now();
    const due = await this.ds.getRepository(TicketSlaClockEntity).find({
      select: { id: true, tenantId: true, ticketId: true },
      where: { nextCheckAt: LessThanOrEqual(now) },
      order: { nextCheckAt: 'ASC' },
      take: batchSize,
    });
    const result: TickResult = { warnings: 0, breaches: 0 };
    for (const c of due) {
      try {
        const kind = await this.check(c.tenantId, c.ticketId, c.id, now);
        if (kind === 'warning') result.warnings++;
        if (kind === 'breached') result.breaches++;
      } catch (err) {
        this.log.error({ err, tenantId: c.tenantId, ticketId: c.ticketId }, 'SLA check failed; retried on the next tick');
      }
    }
    if (result.warnings || result.breaches) this.log.info(result, 'SLA warnings and breaches emitted');
    return result;
  }

  private check(tenantId: string, ticketId: string, clockId: string, now: Date): Promise<SlaNotice['kind'] | null> {
    return this.tickets.run(tenantId, SCHEDULER_ACTOR, async (op) => {
      const ticket = await this.tickets.lock(op, ticketId);
      const row = await op.m.findOne(TicketSlaClockEntity, { where: { tenantId, id: clockId }, ...rowLock(op.m) });
      if (!row) return null;
      const c = toData(row);
      let kind: SlaNotice['kind'] | null = null;
      if (c.state === 'RUNNING' && !c.breachedAt && now > c.dueAt) {
        kind = 'breached';
        c.breachedAt = now;
      } else if (c.state === 'RUNNING' && !c.warnedAt && !c.breachedAt && c.warnPercent > 0 && now >= c.warnAt) {
        kind = 'warning';
        c.warnedAt = now;
      }
      c.nextCheckAt = nextCheck(c);
      if (!kind) {
        // Another replica claimed it, or the clock moved (paused, met): only the next check is refreshed.
        if (row.nextCheckAt?.getTime() !== c.nextCheckAt?.getTime()) await op.m.update(TicketSlaClockEntity, { id: row.id }, { nextCheckAt: c.nextCheckAt });
        return null;
      }
      await op.m.update(TicketSlaClockEntity, { id: row.id }, fromData(c));
      this.tickets.announce(op, [{ ticketId, metric: c.metric, kind, dueAt: c.dueAt, policyId: row.policyId }]);
      ticket.updatedAt = op.at;
      await op.m.update(TicketEntity, { tenantId, id: ticketId }, { updatedAt: op.at });
      op.pushes.push({ ticket });
      return kind;
    });
  }

  /** Ticks every `intervalMs`; a tick never overlaps the previous one. */
  start(intervalMs: number): Worker {
    let running: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (running) return;
      running = this.tick()
        .catch((err) => this.log.error({ err }, 'SLA tick failed'))
        .finally(() => (running = null));
    }, intervalMs);
    return {
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  }
}
