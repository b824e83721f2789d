import { signToken } from '../../_shared/auth.js';

export interface SenderIdentity {
  channelType: string;
  externalId: string;
  appId?: string;
  unionId?: string;
  phone?: string;
  phoneVerified?: boolean;
  appUserId?: string;
  name?: string;
}

export interface IdentityResolver {
  resolve(tenantId: string, input: SenderIdentity): Promise<{ customerId: string; created: boolean }>;
  /**
   * Forgets every cached sender of these customers (a merge or unmerge moved identities between them), so the
   * next message of such a sender is resolved again. Optional: a resolver without a cache has nothing to forget.
   */
  invalidateCustomers?(tenantId: string, customerIds: readonly string[]): number;
}

/**
 * When a cached answer expires: `cacheMs` give or take a quarter. Senders first seen together (a burst, a boot)
 * would otherwise all expire in the same second and come back as a herd of resolutions, taking the CPU of
 * processing and of the acknowledgements on the same replica (in bench:ingest, the warm-up's 500 senders all
 * came due in the middle of the sustained phase).
 */
export function cacheExpiry(now: number, cacheMs: number, random = Math.random()): number {
  return now + Math.round(cacheMs * (0.75 + random * 0.5));
}

const RESOLVE = 'mutation($i: ResolveIdentityInput!) { resolveIdentity(input: $i) { created customer { id } } }';

/**
 * Which customer sent a message: the customers subgraph's resolveIdentity over HTTP GraphQL, with a short-lived
 * `service` token of the tenant signed with the shared secret. Answers are cached briefly per sender; a customer
 * merge or unmerge drops the merged customers' senders on every replica (identity.invalidation.ts), and an
 * answer that was in flight while that happened is not cached.
 */
export function createIdentityClient(o: { url?: string; secret: string; cacheMs?: number; maxEntries?: number }): IdentityResolver {
  const tokens = new Map<string, { token: string; until: number }>();
  const cache = new Map<string, { tenantId: string; customerId: string; until: number }>();
  /** Per tenant: bumped by every invalidation, so a resolution that started before one does not cache its answer. */
  const generations = new Map<string, number>();
  const cacheMs = o.cacheMs ?? 60_000;
  const max = o.maxEntries ?? 50_000;
  const tokenFor = async (tenantId: string) => {
    const t = tokens.get(tenantId);
    if (t && t.until > Date.now()) return t.token;
    const token = await signToken({ tenant: tenantId, sub: 'conversations-ingest', roles: ['service'] }, o.secret, '5m');
    tokens.set(tenantId, { token, until: Date.now() + 4 * 60_000 });
    return token;
  };
  return {
    async resolve(tenantId, input) {
      if (!o.url) throw new Error('customers service URL is not configured (CUSTOMERS_URL)');
      const key = `${tenantId}\u0000${input.channelType}\u0000${input.appId ?? ''}\u0000${input.externalId}`;
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return { customerId: hit.customerId, created: false };
      const generation = generations.get(tenantId) ?? 0;
      const res = await fetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(tenantId)}` },
        body: JSON.stringify({ query: RESOLVE, variables: { i: input } }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => null)) as { data?: { resolveIdentity?: { created: boolean; customer: { id: string } } }; errors?: Array<{ message: string; extensions?: { code?: string } }> } | null;
      const r = body?.data?.resolveIdentity;
      if (!r) {
        const e = body?.errors?.[0];
        throw new Error(`resolveIdentity failed (HTTP ${res.status}${e ? `, ${e.extensions?.code ?? 'ERROR'}: ${e.message}` : ''})`);
      }
      if ((generations.get(tenantId) ?? 0) === generation) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(key, { tenantId, customerId: r.customer.id, until: cacheExpiry(Date.now(), cacheMs) });
      }
      return { customerId: r.customer.id, created: r.created };
    },

    invalidateCustomers(tenantId, customerIds) {
      generations.set(tenantId, (generations.get(tenantId) ?? 0) + 1);
      const ids = new Set(customerIds);
      let dropped = 0;
      // A merge is rare and the cache bounded: a scan is simpler than an index kept in step with evictions.
      for (const [key, e] of cache) {
        if (e.tenantId === tenantId && ids.has(e.customerId)) {
          cache.delete(key);
          dropped++;
        }
      }
      return dropped;
    },
  };
}
