import { randomBytes } from 'node:crypto';
import { freePort, startNode, waitForOk, type NodeProcess } from './processes.js';
import { TEST_MYSQL_URL, TEST_REDIS_URL } from './env.js';

export interface Started {
  name: string;
  url: string;
  port: number;
  proc: NodeProcess;
}

export interface SubgraphSpec {
  /** The deployable (customers, conversations, ...). */
  name: string;
  /** A label for the replica (conversations-a); defaults to name. */
  label?: string;
  env?: Record<string, string>;
}

/** Starts subgraphs as real processes on MariaDB + Redis, one after the other (each migrates at boot). */
export async function startSubgraphs(specs: SubgraphSpec[], db: string, common: Record<string, string> = {}): Promise<Record<string, Started>> {
  const out: Record<string, Started> = {};
  for (const spec of specs) {
    const port = await freePort();
    const label = spec.label ?? spec.name;
    const proc = startNode(label, `subgraphs/${spec.name}/main.js`, {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `${TEST_MYSQL_URL}/${db}`,
      REDIS_URL: TEST_REDIS_URL,
      // The topology's own event stream (overridable): events other runs left (a bench publishes hundreds of
      // thousands that no analytics group reads) must not stand between its consumers and its own events.
      EVENTS_STREAM: `huiliu:${db}:events`,
      REPLICA_ID: label,
      ...common,
      ...spec.env,
    });
    await waitForOk(`http://127.0.0.1:${port}/readyz`, proc);
    out[label] = { name: label, url: `http://127.0.0.1:${port}/graphql`, port, proc };
  }
  return out;
}

/** Starts a gateway process routing each named subgraph to the given URL. */
export async function startGatewayProcess(label: string, subgraphs: Record<string, string>, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const proc = startNode(label, 'gateway/main.js', {
    PORT: String(port),
    HOST: '127.0.0.1',
    ...Object.fromEntries(Object.entries(subgraphs).map(([n, u]) => [`SUBGRAPH_${n.toUpperCase()}_URL`, u])),
    ...env,
  });
  await waitForOk(`http://127.0.0.1:${port}/healthz`, proc);
  return { name: label, url: `http://127.0.0.1:${port}/graphql`, port, proc };
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;
