export type HealthStatus = 'UP' | 'DEGRADED' | 'DISABLED';

export interface Health {
  status: HealthStatus;
  /** The last failure, without secrets or personal data ("send: WeChat errcode 45009 ..."). */
  lastError: string | null;
  lastErrorAt: Date | null;
  /**
   * The tenant whose channel the last error happened on (a plugin serves every tenant): other tenants are shown
   * only that the plugin failed, not its message (which a plugin may have filled with that tenant's data).
   */
  lastErrorTenantId?: string | null;
  /** Failures since the process started. */
  failures: number;
  consecutiveFailures: number;
}

const RANK: Record<HealthStatus, number> = { UP: 0, DEGRADED: 1, DISABLED: 2 };

export function worst(a: Health, b: Health): Health {
  const status = RANK[a.status] >= RANK[b.status] ? a.status : b.status;
  const last = (a.lastErrorAt?.getTime() ?? 0) >= (b.lastErrorAt?.getTime() ?? 0) ? a : b;
  return { status, lastError: last.lastError, lastErrorAt: last.lastErrorAt, lastErrorTenantId: last.lastErrorTenantId ?? null, failures: a.failures + b.failures, consecutiveFailures: Math.max(a.consecutiveFailures, b.consecutiveFailures) };
}

/**
 * Health as one tenant may see it: an error that happened on another tenant's channel keeps its operation
 * ("wechat-oa.parse") and loses its message; the tenant it came from is never shown.
 */
export function healthSeenBy(h: Health, tenantId: string): Health {
  const { lastErrorTenantId, ...rest } = h;
  if (!lastErrorTenantId || lastErrorTenantId === tenantId || !rest.lastError) return rest;
  const operation = rest.lastError.split(':')[0];
  return { ...rest, lastError: `${operation}: the plugin failed on another tenant's channel` };
}

/** Health of a plugin or a channel, in this process (each replica reports its own). */
export class HealthTracker {
  private state: Health = { status: 'UP', lastError: null, lastErrorAt: null, failures: 0, consecutiveFailures: 0 };

  /** `changed`: told after a failure and after a change of status (other replicas are told from there). */
  constructor(private readonly now: () => number, private readonly changed: () => void = () => undefined) {}

  get(): Health { return { ...this.state }; }

  get disabled() { return this.state.status === 'DISABLED'; }

  success(): void {
    if (this.state.status === 'DISABLED') return;
    const was = this.state.status;
    this.state = { ...this.state, status: 'UP', consecutiveFailures: 0 };
    if (was !== 'UP') this.changed();
  }

  /**
   * Records a failure; `disable` turns the status to DISABLED (only `reset` brings it back). `tenantId`: the
   * tenant whose channel it happened on (see healthSeenBy).
   */
  failure(message: string, disable: boolean, tenantId: string | null = null): Health {
    const s = this.state;
    this.state = {
      status: disable || s.status === 'DISABLED' ? 'DISABLED' : 'DEGRADED',
      lastError: message.slice(0, 500),
      lastErrorAt: new Date(this.now()),
      lastErrorTenantId: tenantId,
      failures: s.failures + 1,
      consecutiveFailures: s.consecutiveFailures + 1,
    };
    this.changed();
    return this.get();
  }

  reset(): void {
    const was = this.state.status;
    this.state = { ...this.state, status: 'UP', consecutiveFailures: 0 };
    if (was !== 'UP') this.changed();
  }
}
