import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { Viewer } from './auth.js';
import type { SubgraphDefinition } from './build-subgraph.js';
import type { KeyValueCache } from './cache.js';
import type { EventBus } from './events.js';
import type { Logger } from './logger.js';
import type { PubSub } from './pubsub.js';

/** What a subgraph's composition root hands to its services: no globals, everything passed down. */
export interface SubgraphDeps {
  dataSource: DataSource;
  pubsub: PubSub;
  events: EventBus;
  log: Logger;
  /** Shared cache (Redis when distributed, in memory when embedded); optional so older roots keep working. */
  cache?: KeyValueCache;
  /**
   * Redis for a subgraph's own atomic structures (agent presence, routing locks): absent when embedded, where the
   * subgraph uses in-memory equivalents. Every key starts with `prefix`.
   */
  redis?: { url: string; prefix: string };
}

/** Background work a subgraph runs beside its server (event consumers, schedulers). */
export interface Worker {
  stop(): Promise<void>;
}

/** Everything one subgraph is, so that the distributed main, the embedded main and the tests assemble it alike. */
/** A plain node:http handler that takes the requests it recognises (returns true) and leaves the rest. */
export type RawRoute = (req: IncomingMessage, res: ServerResponse) => boolean;
/**
 * An HTTP upgrade (WebSocket) the subgraph takes besides graphql-ws on /graphql: answers `true` when it took the
 * socket. `close` ends the sockets it holds (an upgraded socket is no longer the HTTP server's to close).
 */
export type UpgradeRoute = ((req: IncomingMessage, socket: Duplex, head: Buffer) => boolean) & { close?(): void };

export interface SubgraphModule<S = any, L = any> {
  name: 'customers' | 'conversations' | 'tickets' | 'knowledge' | 'analytics';
  defaultPort: number;
  definition: SubgraphDefinition;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  createServices(deps: SubgraphDeps): S;
  createLoaders(services: S, viewer: Viewer | null): L;
  /** Idempotent: seeds the demo tenant's rows that this subgraph owns. */
  seedDemo?(services: S): Promise<void>;
  startWorkers?(services: S, deps: SubgraphDeps): Promise<Worker[]>;
  /**
   * Extra HTTP routes on the subgraph's port (channel webhooks), on plain node:http ahead of express: a route
   * sees the raw bytes (signatures cover them) and a hot path pays nothing for routing middleware. The
   * handler answers `true` when it took the request.
   */
  routes?(services: S, deps: SubgraphDeps): RawRoute;
  /** WebSocket upgrades on the subgraph's port other than /graphql (the chat widget's sockets). */
  upgrades?(services: S, deps: SubgraphDeps): UpgradeRoute;
}
