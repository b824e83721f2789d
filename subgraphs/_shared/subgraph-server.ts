import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, type TokenVerifier, type Viewer } from './auth.js';
import type { BuiltSubgraph } from './build-subgraph.js';
import type { SubgraphContext } from './context.js';
import { createErrorFormatter, DomainError } from './errors.js';
import type { Logger } from './logger.js';
import type { RawRoute, UpgradeRoute } from './subgraph-module.js';
import { refuseUpgrade } from './upgrade-refusal.js';

export type ReadinessCheck = () => Promise<void>;

export interface SubgraphServerOptions<S, L> {
  built: BuiltSubgraph;
  services: S;
  createLoaders: (services: S, viewer: Viewer | null) => L;
  verifier: TokenVerifier;
  log: Logger;
  port: number;
  host?: string;
  /** Named checks for /readyz: database, redis, ... */
  readiness: Record<string, ReadinessCheck>;
  /** Extra routes (SubgraphModule.routes) on plain node:http, tried before express. */
  routes?: RawRoute;
  /** Other WebSocket upgrades (SubgraphModule.upgrades), tried before graphql-ws's /graphql. */
  upgrades?: UpgradeRoute;
}

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  close(): Promise<void>;
}

/**
 * One subgraph over HTTP (Apollo Server 5 on express) and graphql-ws on the same port and path,
 * plus /healthz and /readyz. The caller's JWT is verified here again: a subgraph trusts no header blindly.
 */
export async function startSubgraphServer<S, L>(o: SubgraphServerOptions<S, L>): Promise<RunningServer> {
  const { built, log, verifier } = o;
  const app = express();
  const routes = o.routes;
  const httpServer = createServer(routes ? (req, res) => { if (!routes(req, res)) app(req, res); } : app);
  // noServer: a ws server attached with `path` answers 400 to every other upgrade, the widget's included.
  const wss = new WebSocketServer({ noServer: true });
  httpServer.on('upgrade', (req, socket, head) => {
    if (o.upgrades?.(req, socket, head)) return;
    if ((req.url ?? '').split('?')[0] === '/graphql') return wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    refuseUpgrade(socket, 404);
  });

  const viewerFrom = async (authorization: unknown): Promise<Viewer | null> => {
    const token = bearerToken(typeof authorization === 'string' ? authorization : undefined);
    return token ? verifier.verify(token) : null;
  };
  const contextFor = (viewer: Viewer | null): SubgraphContext<S, L> => ({
    viewer,
    services: o.services,
    loaders: o.createLoaders(o.services, viewer),
    log: viewer ? log.child({ tenantId: viewer.tenant }) : log,
  });

  const wsCleanup = useServer(
    {
      schema: built.schema,
      onConnect: async (ctx) => {
        try {
          await viewerFrom(ctx.connectionParams?.authorization);
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
      },
      context: async (ctx) => contextFor(await viewerFrom(ctx.connectionParams?.authorization)),
    },
    wss,
  );

  const formatError = createErrorFormatter(log);
  const apollo = new ApolloServer<SubgraphContext<S, L>>({
    schema: built.schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // our composition root drains and exits (installShutdown)
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', subgraph: built.name }));
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ok = true;
    for (const [name, check] of Object.entries(o.readiness)) {
      try {
        await withTimeout(check(), 2000);
        checks[name] = 'ok';
      } catch (e) {
        ok = false;
        checks[name] = `down: ${(e as Error).message}`;
      }
    }
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', subgraph: built.name, checks });
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return contextFor(await viewerFrom(req.headers.authorization));
        } catch (e) {
          const message = e instanceof DomainError ? e.message : 'invalid token';
          throw new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/graphql`;
  log.info({ url }, `${built.name} subgraph listening`);
  return {
    url,
    port,
    httpServer,
    close: async () => {
      o.upgrades?.close?.();
      await apollo.stop();
      httpServer.closeAllConnections();
    },
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}
