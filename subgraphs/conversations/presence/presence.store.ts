import type Redis from 'ioredis';

/** What an agent is doing right now. Only ONLINE agents receive new conversations. */
export enum PresenceStatus {
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  BUSY = 'BUSY',
  /** Wrapping up the last call or chat (notes, forms): not taking new work yet. */
  AFTER_CALL_WORK = 'AFTER_CALL_WORK',
  OFFLINE = 'OFFLINE',
}

const STATUSES = new Set<string>(Object.values(PresenceStatus));

export interface PresenceRecord {
  agentId: string;
  /** OFFLINE when the agent never set a status or their heartbeat ran out. */
  status: PresenceStatus;
  /** Milliseconds since the epoch when the status last changed. */
  since: number;
  /** The last heartbeat (ms), null when none is alive. */
  heartbeatAt: number | null;
}

export interface PresenceChange {
  tenantId: string;
  agentId: string;
  previous: PresenceStatus;
  record: PresenceRecord;
}

/**
 * Agent presence shared by every replica: a hash per tenant (agent → status and since) plus one heartbeat key per
 * agent whose expiry is the grace period. Redis when distributed, so presence survives a replica restart; in
 * memory when embedded, behind the same interface. An agent whose heartbeat key is gone reads as OFFLINE at once
 * and is written OFFLINE (with a change event) by the next `expire` sweep.
 */
export interface PresenceStore {
  /** Sets the status and (unless OFFLINE) starts or refreshes the heartbeat. `changed` is false for a repeat. */
  setStatus(tenantId: string, agentId: string, status: PresenceStatus, now: number, graceMs: number): Promise<{ previous: PresenceStatus; record: PresenceRecord; changed: boolean }>;
  /** Refreshes the heartbeat of an agent who is not OFFLINE; null (nothing done) otherwise. */
  heartbeat(tenantId: string, agentId: string, now: number, graceMs: number): Promise<PresenceRecord | null>;
  get(tenantId: string, agentIds: readonly string[]): Promise<Map<string, PresenceRecord>>;
  /** Every agent of the tenant with a recorded presence. */
  all(tenantId: string): Promise<PresenceRecord[]>;
  /** Writes OFFLINE for every agent whose heartbeat expired; returns who changed (each change exactly once). */
  expire(now: number): Promise<PresenceChange[]>;
}

const offline = (agentId: string): PresenceRecord => ({ agentId, status: PresenceStatus.OFFLINE, since: 0, heartbeatAt: null });

function decode(agentId: string, value: string | null, heartbeat: string | null): PresenceRecord {
  if (!value) return offline(agentId);
  const [status, since] = value.split('|');
  if (!STATUSES.has(status)) return offline(agentId);
  // No live heartbeat: OFFLINE, whatever the hash still says (the sweep writes it down).
  if (status !== PresenceStatus.OFFLINE && heartbeat === null) return { agentId, status: PresenceStatus.OFFLINE, since: Number(since), heartbeatAt: null };
  return { agentId, status: status as PresenceStatus, since: Number(since), heartbeatAt: heartbeat === null ? null : Number(heartbeat) };
}

// KEYS: hash, heartbeat key, tenants set. ARGV: agentId, status, now, graceMs, tenantId.
// Returns {previous effective status, stored value, changed 0/1}.
const SET_STATUS = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
local alive = redis.call('EXISTS', KEYS[2])
local prevStatus = 'OFFLINE'
if prev then
  local s = string.match(prev, '^[^|]+')
  if s == 'OFFLINE' or alive == 1 then prevStatus = s end
end
if ARGV[2] == 'OFFLINE' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
redis.call('SADD', KEYS[3], ARGV[5])
if prev and prevStatus == ARGV[2] then return {prevStatus, prev, 0} end
local v = ARGV[2] .. '|' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], v)
return {prevStatus, v, 1}`;

// KEYS: hash, heartbeat key. ARGV: agentId, now, graceMs. Returns the stored value, or false.
const HEARTBEAT = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
if string.match(v, '^[^|]+') == 'OFFLINE' then return false end
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return v`;

// KEYS: hash. ARGV: heartbeat key prefix (…:hb:<tenant>:), now. Returns a flat list agentId, previous status, ...
const EXPIRE = `
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local s = string.match(all[i + 1], '^[^|]+')
  if s ~= 'OFFLINE' and redis.call('EXISTS', ARGV[1] .. all[i]) == 0 then
    redis.call('HSET', KEYS[1], all[i], 'OFFLINE|' .. ARGV[2])
    out[#out + 1] = all[i]
    out[#out + 1] = s
  end
end
return out`;

type PresenceRedis = Redis & {
  huiliuSetStatus(k1: string, k2: string, k3: string, ...argv: string[]): Promise<[string, string, number]>;
  huiliuHeartbeat(k1: string, k2: string, ...argv: string[]): Promise<string | null>;
  huiliuExpire(k1: string, ...argv: string[]): Promise<string[]>;
};

export function createRedisPresenceStore(redis: Redis, prefix: string): PresenceStore {
  const r = redis as PresenceRedis;
  if (!r.huiliuSetStatus) {
    redis.defineCommand('huiliuSetStatus', { numberOfKeys: 3, lua: SET_STATUS });
    redis.defineCommand('huiliuHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    redis.defineCommand('huiliuExpire', { numberOfKeys: 1, lua: EXPIRE });
  }
  const hash = (t: string) => `${prefix}presence:${t}`;
  const hbPrefix = (t: string) => `${prefix}presence-hb:${t}:`;
  const tenants = `${prefix}presence-tenants`;
  return {
    async setStatus(tenantId, agentId, status, now, graceMs) {
      const [previous, value, changed] = await r.huiliuSetStatus(hash(tenantId), hbPrefix(tenantId) + agentId, tenants, agentId, status, String(now), String(graceMs), tenantId);
      const record = decode(agentId, value, status === PresenceStatus.OFFLINE ? null : String(now));
      return { previous: previous as PresenceStatus, record, changed: Number(changed) === 1 };
    },
    async heartbeat(tenantId, agentId, now, graceMs) {
      const v = await r.huiliuHeartbeat(hash(tenantId), hbPrefix(tenantId) + agentId, agentId, String(now), String(graceMs));
      return v ? decode(agentId, v, String(now)) : null;
    },
    async get(tenantId, agentIds) {
      const out = new Map<string, PresenceRecord>();
      if (!agentIds.length) return out;
      const [values, beats] = await Promise.all([r.hmget(hash(tenantId), ...agentIds), r.mget(...agentIds.map((a) => hbPrefix(tenantId) + a))]);
      agentIds.forEach((a, i) => out.set(a, decode(a, values[i], beats[i])));
      return out;
    },
    async all(tenantId) {
      const h = await r.hgetall(hash(tenantId));
      const ids = Object.keys(h);
      if (!ids.length) return [];
      const beats = await r.mget(...ids.map((a) => hbPrefix(tenantId) + a));
      return ids.map((a, i) => decode(a, h[a], beats[i]));
    },
    async expire(now) {
      const changes: PresenceChange[] = [];
      for (const tenantId of await r.smembers(tenants)) {
        const flat = await r.huiliuExpire(hash(tenantId), hbPrefix(tenantId), String(now));
        for (let i = 0; i < flat.length; i += 2) {
          changes.push({ tenantId, agentId: flat[i], previous: flat[i + 1] as PresenceStatus, record: { agentId: flat[i], status: PresenceStatus.OFFLINE, since: now, heartbeatAt: null } });
        }
      }
      return changes;
    },
  };
}

/** Embedded mode: the same semantics over Maps, expiring lazily against the clock (tests move it). */
export function createMemoryPresenceStore(clock: () => number = Date.now): PresenceStore {
  const byTenant = new Map<string, Map<string, { status: PresenceStatus; since: number }>>();
  const beats = new Map<string, { at: number; until: number }>();
  const hbKey = (t: string, a: string) => `${t}\u0000${a}`;
  const tenant = (t: string) => {
    let m = byTenant.get(t);
    if (!m) byTenant.set(t, (m = new Map()));
    return m;
  };
  const beat = (t: string, a: string, now: number) => {
    const b = beats.get(hbKey(t, a));
    return b && b.until > now ? b : null;
  };
  const read = (t: string, a: string, now: number): PresenceRecord => {
    const v = byTenant.get(t)?.get(a);
    if (!v) return offline(a);
    const b = beat(t, a, now);
    if (v.status !== PresenceStatus.OFFLINE && !b) return { agentId: a, status: PresenceStatus.OFFLINE, since: v.since, heartbeatAt: null };
    return { agentId: a, status: v.status, since: v.since, heartbeatAt: b?.at ?? null };
  };
  return {
    async setStatus(tenantId, agentId, status, now, graceMs) {
      const previous = read(tenantId, agentId, now).status;
      const had = byTenant.get(tenantId)?.has(agentId) ?? false;
      if (status === PresenceStatus.OFFLINE) beats.delete(hbKey(tenantId, agentId));
      else beats.set(hbKey(tenantId, agentId), { at: now, until: now + graceMs });
      const changed = !had || previous !== status;
      if (changed) tenant(tenantId).set(agentId, { status, since: now });
      return { previous, record: read(tenantId, agentId, now), changed };
    },
    async heartbeat(tenantId, agentId, now, graceMs) {
      const v = byTenant.get(tenantId)?.get(agentId);
      if (!v || v.status === PresenceStatus.OFFLINE || !beat(tenantId, agentId, now)) return null;
      beats.set(hbKey(tenantId, agentId), { at: now, until: now + graceMs });
      return read(tenantId, agentId, now);
    },
    async get(tenantId, agentIds) {
      const now = clock();
      return new Map(agentIds.map((a) => [a, read(tenantId, a, now)]));
    },
    async all(tenantId) {
      const now = clock();
      return [...(byTenant.get(tenantId)?.keys() ?? [])].map((a) => read(tenantId, a, now));
    },
    async expire(now) {
      const changes: PresenceChange[] = [];
      for (const [tenantId, agents] of byTenant) {
        for (const [agentId, v] of agents) {
          if (v.status === PresenceStatus.OFFLINE || beat(tenantId, agentId, now)) continue;
          agents.set(agentId, { status: PresenceStatus.OFFLINE, since: now });
          changes.push({ tenantId, agentId, previous: v.status, record: { agentId, status: PresenceStatus.OFFLINE, since: now, heartbeatAt: null } });
        }
      }
      return changes;
    },
  };
}
