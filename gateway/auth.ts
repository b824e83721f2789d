import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { bearerToken, type TokenVerifier } from '../subgraphs/_shared/auth.js';
import { DomainError } from '../subgraphs/_shared/errors.js';

/**
 * Rejects a bad or expired token at the edge with 401 UNAUTHENTICATED before any subgraph is called.
 * A request without a token passes: each field decides (introspection needs none, data does).
 * Subgraphs verify the same token again, so the identity they act on is never taken on trust.
 */
export function useGatewayAuth(verifier: TokenVerifier): GatewayPlugin {
  return {
    async onRequest({ request, endResponse, fetchAPI }) {
      const header = request.headers.get('authorization');
      if (!header) return;
      try {
        await verifier.verify(bearerToken(header)!);
      } catch (e) {
        const message = e instanceof DomainError ? e.message : 'invalid token';
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }), {
            status: 401,
            headers: { 'content-type': 'application/json' },
          }),
        );
      }
    },
  };
}

/** graphql-ws: the token comes in connection_init as { authorization: "Bearer <jwt>" }; no valid token, no socket. */
export async function verifyConnectionParams(verifier: TokenVerifier, params: Record<string, unknown> | undefined): Promise<boolean> {
  try {
    const token = bearerToken(typeof params?.authorization === 'string' ? params.authorization : undefined);
    if (!token) return false;
    await verifier.verify(token);
    return true;
  } catch {
    return false;
  }
}
