import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { unauthenticated } from './errors.js';

export const ROLES = ['admin', 'supervisor', 'agent', 'partner', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** The verified caller: who (sub), which brand (tenant) and what they may do (roles). */
export interface Viewer {
  sub: string;
  tenant: string;
  roles: Role[];
}

export interface TokenVerifier {
  verify(token: string): Promise<Viewer>;
}

export interface AuthSettings {
  secret: string;
  jwksUrl?: string;
}

/**
 * Verifies `Authorization: Bearer <JWT>`: HS256 with the configured secret, or RS/ES keys from a JWKS URL.
 * The gateway and every subgraph verify the same token, so a subgraph trusts nothing the network says.
 */
export function createTokenVerifier(settings: AuthSettings): TokenVerifier {
  const secret = new TextEncoder().encode(settings.secret);
  const jwks = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : undefined;
  return {
    async verify(token: string): Promise<Viewer> {
      let payload: JWTPayload;
      try {
        payload = jwks
          ? (await jwtVerify(token, jwks)).payload
          : (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload;
      } catch (e) {
        throw unauthenticated(`invalid token: ${(e as { code?: string }).code ?? 'verification failed'}`);
      }
      return toViewer(payload);
    },
  };
}

function toViewer(payload: JWTPayload): Viewer {
  const { sub, tenant, roles } = payload as JWTPayload & { tenant?: unknown; roles?: unknown };
  if (typeof sub !== 'string' || !sub) throw unauthenticated('token has no sub claim');
  if (typeof tenant !== 'string' || !tenant) throw unauthenticated('token has no tenant claim');
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => (ROLES as readonly string[]).includes(r))) {
    throw unauthenticated(`token roles must be a non-empty subset of ${ROLES.join(', ')}`);
  }
  return { sub, tenant, roles: roles as Role[] };
}

/** Reads a bearer token from a header value; undefined when absent, an error when malformed. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) throw unauthenticated('Authorization header must be "Bearer <token>"');
  return m[1];
}

export async function signToken(viewer: Viewer, secret: string, expiresIn = '12h'): Promise<string> {
  return new SignJWT({ tenant: viewer.tenant, roles: viewer.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(viewer.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export function hasRole(viewer: Viewer, ...roles: Role[]): boolean {
  return viewer.roles.some((r) => roles.includes(r));
}
