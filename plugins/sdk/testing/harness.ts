import { randomUUID } from 'node:crypto';
import type { InboundRequest } from '../channel.js';
import type { ClientConnections } from '../context.js';
import type { PluginDefinition } from '../index.js';
import { FakeClock } from '../../host/clock.js';
import { MemoryKeyValueStore } from '../../host/kv.memory.js';
import { BoundChannel, PluginHost } from '../../host/plugin-host.js';
import { createMemoryLogger } from '../../host/plugin-logger.js';

/** Live connections for tests: clients listed in `online` receive frames, the others are offline. */
export class MemoryConnections implements ClientConnections {
  readonly online = new Set<string>();
  readonly frames: Array<{ channelId: string; clientId: string; frame: Record<string, unknown> }> = [];
  async send(channelId: string, clientId: string, frame: Record<string, unknown>): Promise<boolean> {
    if (!this.online.has(clientId)) return false;
    this.frames.push({ channelId, clientId, frame });
    return true;
  }
}

export interface TestHost {
  host: PluginHost;
  kv: MemoryKeyValueStore;
  clock: FakeClock;
  logs: ReturnType<typeof createMemoryLogger>;
  connections: MemoryConnections;
  /** Binds a channel of the plugin's first (or the given) type. */
  bind(config: unknown, options?: { id?: string; tenantId?: string; type?: string }): BoundChannel;
}

/** A host holding only `plugin`, with in-memory store, fake clock and captured logs. */
export function createTestHost(
  plugin: PluginDefinition,
  options: { config?: unknown; now?: number; disableAfter?: number; sendTimeoutMs?: number; kv?: MemoryKeyValueStore; clock?: FakeClock } = {},
): TestHost {
  const clock = options.clock ?? new FakeClock(options.now);
  const kv = options.kv ?? new MemoryKeyValueStore(clock);
  const logs = createMemoryLogger();
  const connections = new MemoryConnections();
  const host = new PluginHost({ plugins: [{ plugin, config: options.config }], builtins: {}, logger: logs, kv, clock, connections, disableAfter: options.disableAfter, sendTimeoutMs: options.sendTimeoutMs });
  return {
    host, kv, clock, logs, connections,
    bind: (config, o = {}) => host.bindChannel({ id: o.id ?? randomUUID(), tenantId: o.tenantId ?? 'tenant-test', type: o.type ?? host.channelTypes()[0], config }),
  };
}

/** An InboundRequest as the host builds it from an HTTP request. */
export function inboundRequest(r: Partial<Omit<InboundRequest, 'rawBody'>> & { body?: string | Buffer | object }): InboundRequest {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  return { method: r.method ?? 'POST', path: r.path ?? '/webhooks/test', query: r.query ?? {}, headers, rawBody: body, receivedAt: r.receivedAt ?? new Date() };
}
