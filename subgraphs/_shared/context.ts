import type { Viewer, Role } from './auth.js';
import { hasRole } from './auth.js';
import { forbidden, unauthenticated } from './errors.js';
import type { Logger } from './logger.js';

/** What every resolver receives: the verified caller, the subgraph's services and per-request loaders. */
export interface SubgraphContext<S = unknown, L = unknown> {
  viewer: Viewer | null;
  services: S;
  loaders: L;
  log: Logger;
}

/** The caller, or UNAUTHENTICATED. Optionally demands one of the roles, or FORBIDDEN. */
export function requireViewer(ctx: { viewer: Viewer | null }, ...roles: Role[]): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  if (roles.length && !hasRole(ctx.viewer, ...roles)) throw forbidden(`requires one of the roles: ${roles.join(', ')}`);
  return ctx.viewer;
}
