import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Logger as HiveLogger } from '@graphql-hive/logger';
import { PinoLogWriter } from '@graphql-hive/logger/writers/pino';
import { createGatewayRuntime, getGraphQLWSOptions, usePropagateHeaders, type GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { TokenVerifier } from '../subgraphs/_shared/auth.js';
import type { Logger } from '../subgraphs/_shared/logger.js';
import type { UpgradeRoute } from '../subgraphs/_shared/subgraph-module.js';
import { refuseUpgrade } from '../subgraphs/_shared/upgrade-refusal.js';
import { useGatewayAuth, verifyConnectionParams } from './auth.js';
import { useBadRequestStatus } from './http-status.plugin.js';
import { createGatewayErrorMask } from './mask-errors.js';
import type { SubgraphName } from './config.js';
import { createWebhooksProxy, createWebhooksTunnel } from './webhooks-proxy.js';

export interface GatewayOptions {
  supergraphPath: string;
  /** Where each subgraph really is; a missing one keeps the URL composed into the supergraph. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  verifier: TokenVerifier;
  log: Logger;
  port: number;
  host?: string;
  dedupe?: boolean;
  queryPlanner?: 'js' | 'rust';
  /**
   * GATEWAY_INGEST=edge: /webhooks/* served in this process (conversations.edge.ts) instead of forwarded; its
   * readiness joins /readyz.
   */
  webhooks?: { route(req: IncomingMessage, res: ServerResponse): boolean; upgrade: UpgradeRoute; readiness: Record<string, () => Promise<void>> };
}

export interface RunningGateway {
  url: string;
  port: number;
  httpServer: Server;
  close(): Promise<void>;
}

/** Reads the subgraph URLs composed into the supergraph, keyed by subgraph name. */
export function composedUrls(supergraph: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of supergraph.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) out[m[1]] = m[2];
  return out;
}

/**
 * The public edge: Hive Gateway runtime embedded in a node:http server, graphql-ws on the same port and path,
 * /webhooks/* forwarded to conversations, /healthz and /readyz. A down subgraph fails only the fields it owns.
 */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const supergraph = readFileSync(o.supergraphPath, 'utf8');
  const urls = { ...composedUrls(supergraph), ...o.subgraphUrls } as Record<string, string>;
  const transportEntries: Record<string, object> = {};
  for (const [name, location] of Object.entries(urls)) {
    transportEntries[name] = {
      location,
      options: {
        deduplicateInflightRequests: o.dedupe ?? true,
        // Subscriptions go gateway → subgraph over graphql-ws, carrying the client's token in connection_init.
        subscriptions: { kind: 'ws', location, options: { connectionParams: { authorization: '{context.connectionParams.authorization}' } } },
      },
    };
  }
  const plugins = (): GatewayPlugin[] => [
    useGatewayAuth(o.verifier),
    useBadRequestStatus(),
    usePropagateHeaders({
      fromClientToSubgraphs: ({ request }) => {
        const auth = request.headers.get('authorization');
        return auth ? { authorization: auth } : {};
      },
    }),
  ];
  // The Rust planner ships as a napi addon in the npm package; its CJS build uses a dynamic import, so it
  // works in a plain Node process but not inside Jest's VM (the e2e tests run the gateway as a child process).
  const unifiedGraphHandler: unknown = o.queryPlanner === 'rust' ? (await import('@graphql-hive/router-runtime')).unifiedGraphHandler : undefined;
  const gateway = createGatewayRuntime({
    supergraph,
    transportEntries,
    plugins,
    ...(unifiedGraphHandler ? { unifiedGraphHandler: unifiedGraphHandler as never } : {}),
    // The runtime's own logs go through our pino logger: one JSON stream, same redaction.
    logging: o.log.level === 'silent' ? false : new HiveLogger({ level: 'warn', writers: [new PinoLogWriter(o.log.child({ component: 'hive' }))] }),
    maskedErrors: { maskError: createGatewayErrorMask(o.log) },
    landingPage: false,
  });

  const edge = o.webhooks;
  const webhooks = edge
    ? Object.assign((req: IncomingMessage, res: ServerResponse) => void (edge.route(req, res) || res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown channel')), { close: async () => undefined })
    : urls.conversations
    ? createWebhooksProxy(urls.conversations, o.log)
    : Object.assign((_req: IncomingMessage, res: ServerResponse) => void res.writeHead(503).end('conversations subgraph not configured'), { close: async () => undefined });
  /**
   * Every subgraph (and the edge's own database and Redis). `?scope=webhooks`: only what taking webhooks needs, for a
   * load balancer that routes them: the edge's database and Redis with GATEWAY_INGEST=edge (which keeps accepting
   * while every conversations replica is down), the conversations subgraph behind the proxy.
   */
  const readyz = async (res: ServerResponse, scope: string | null) => {
    const checks: Record<string, string> = {};
    const subgraphs = scope === 'webhooks' ? (edge ? [] : Object.entries(urls).filter(([name]) => name === 'conversations')) : Object.entries(urls);
    await Promise.all([
      ...subgraphs.map(async ([name, url]) => {
        try {
          const r = await fetch(url.replace(/\/graphql$/, '/readyz'), { signal: AbortSignal.timeout(2000) });
          checks[name] = r.ok ? 'ok' : `down: HTTP ${r.status}`;
        } catch (e) {
          checks[name] = `down: ${(e as Error).cause ? String((e as Error & { cause: Error }).cause.message) : (e as Error).message}`;
        }
      }),
      ...Object.entries(edge?.readiness ?? {}).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = 'ok';
        } catch (e) {
          checks[name] = `down: ${(e as Error).message}`;
        }
      }),
    ]);
    const ok = Object.values(checks).every((c) => c === 'ok');
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ready' : 'not ready', checks }));
  };

  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/readyz') return void readyz(res, new URL(req.url ?? '/', 'http://gateway').searchParams.get('scope'));
    if (path.startsWith('/webhooks/')) return webhooks(req, res);
    if (path === '/') return void res.writeHead(302, { location: '/graphql' }).end();
    return gateway(req, res);
  });
  // noServer: a ws server attached with `path` answers 400 to every other upgrade, the widget's included.
  const wss = new WebSocketServer({ noServer: true });
  const tunnel = edge
    ? Object.assign((req: IncomingMessage, socket: Duplex, head: Buffer) => void (edge.upgrade(req, socket, head) || refuseUpgrade(socket, 404)), { close: () => edge.upgrade.close?.() })
    : urls.conversations ? createWebhooksTunnel(urls.conversations, o.log) : null;
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === gateway.graphqlEndpoint) return wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    if (tunnel && path.startsWith('/webhooks/')) return tunnel(req, socket, head);
    refuseUpgrade(socket, 404);
  });
  const wsServer = useServer(
    {
      ...getGraphQLWSOptions(gateway, (ctx) => {
        const extra = ctx.extra as { request?: IncomingMessage; socket?: unknown };
        // Give socket operations a Request carrying the connection_init token, so header propagation treats
        // them like HTTP ones (e.g. the _entities calls that complete each subscription event).
        const auth = ctx.connectionParams?.authorization;
        const request = new Request(`http://localhost${gateway.graphqlEndpoint}`, { headers: typeof auth === 'string' ? { authorization: auth } : {} });
        return { req: extra?.request, socket: extra?.socket, request };
      }),
      onConnect: (ctx) => verifyConnectionParams(o.verifier, ctx.connectionParams),
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(o.port, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `http://localhost:${port}/graphql`;
  o.log.info({ url, subgraphs: urls }, 'gateway listening');
  return {
    url,
    port,
    httpServer,
    async close() {
      await wsServer.dispose();
      wss.close();
      tunnel?.close();
      await new Promise<void>((r) => {
        httpServer.close(() => r());
        httpServer.closeAllConnections();
      });
      await gateway.dispose();
      await webhooks.close();
    },
  };
}
