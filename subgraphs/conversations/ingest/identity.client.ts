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
}

const RESOLVE = 'mutation($i: ResolveIdentityInput!) { resolveIdentity(input: $i) { created customer { id } } }';

/**
 * Which customer sent a message: the customers subgraph's resolveIdentity over HTTP GraphQL, with a short-lived
 * `service` token of the tenant signed with the shared secret. Answers are cached briefly per sender (merges
 * are followed by the customer-merge worker, which moves conversations anyway).
 */
export function createIdentityClient(o: { url?: string; secret: string; cacheMs?: number; maxEntries?: number }): IdentityResolver {
  const tokens = new Map<string, { token: string; until: number }>();
  const cache = new Map<string, { customerId: string; until: number }>();
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
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(key, { customerId: r.customer.id, until: Date.now() + cacheMs });
      return { customerId: r.customer.id, created: r.created };
    },
  };
}
