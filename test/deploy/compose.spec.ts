import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadGatewayConfig } from '../../gateway/config.js';
import { loadConversationsConfig } from '../../subgraphs/conversations/conversations.config.js';
import { parseEnv, subgraphEnvSchema } from '../../subgraphs/_shared/env.js';

/**
 * docker-compose.yml cannot run on this machine (no Docker engine), so its settings are read here the way compose
 * would hand them to each deployable, and parsed by that deployable's own config: a misspelt variable, a missing
 * setting or an account the grants do not name fails here instead of at a user's first `docker compose up`.
 */

const ROOT = join(__dirname, '../..');
// What an operator sets before `docker compose up` (the file refuses to start without them).
const OPERATOR: Record<string, string> = {
  JWT_SECRET: 'compose-test-jwt-secret-0123456789',
  PII_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  PII_HASH_KEY: Buffer.alloc(32, 9).toString('base64'),
  EDGE_DB_PASSWORD: 'edgeAccountPassw0rd',
};

/** Compose's interpolation: ${VAR:?message} (required), ${VAR:-default}, ${VAR}; $$ is a literal $. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)(?::([?-])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (all === '$$') return '$';
    const v = env[name!];
    if (v) return v;
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return op === '-' ? arg ?? '' : '';
  });
}

interface Service { command?: string[]; entrypoint?: string[]; environment?: Record<string, string | number>; depends_on?: Record<string, { condition: string }>; volumes?: string[]; healthcheck?: { test: string[] } }
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const envOf = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), OPERATOR)]));
const scriptOf = (s: Service) => s.command?.find((a) => a.startsWith('dist/'));

/** The variables README.md's Configuration table names (`SUBGRAPH_<NAME>_URL` and `INGEST_*` as patterns). */
function documentedVariables(): RegExp[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'));
  const names = [...table.matchAll(/^\|([^|]+)\|/gm)].flatMap((row) => [...row[1].matchAll(/`([A-Z0-9_*<>]+)`/g)].map((m) => m[1]));
  return names.map((n) => new RegExp(`^${n.replace(/\*/g, '[A-Z0-9_]+').replace(/<[A-Z]+>/g, '[A-Z]+')}$`));
}

describe('docker-compose.yml, read by each deployable\'s own config', () => {
  test('every variable it sets for a deployable is one README.md documents (a misspelt one would be ignored silently)', () => {
    const documented = documentedVariables();
    const unknown = Object.entries(compose.services).filter(([, s]) => scriptOf(s))
      .flatMap(([name, s]) => Object.keys(s.environment ?? {}).filter((k) => !documented.some((re) => re.test(k))).map((k) => `${name}: ${k}`));
    expect(unknown).toEqual([]);
    expect(documented.some((re) => re.test('GATEWAY_INGESTT'))).toBe(false);
  });

  test('every subgraph service runs a built deployable and its settings parse', () => {
    const subgraphs = Object.entries(compose.services).filter(([, s]) => scriptOf(s)?.startsWith('dist/subgraphs/'));
    expect(subgraphs.map(([name]) => name).sort()).toEqual(['analytics', 'conversations', 'customers', 'knowledge', 'tickets']);
    for (const [name, s] of subgraphs) {
      expect(scriptOf(s)).toBe(`dist/subgraphs/${name}/main.js`);
      const env = envOf(s);
      const common = parseEnv(subgraphEnvSchema(0, 'sqlite:x'), env);
      expect(common.REDIS_URL).toBe('redis://redis:6379');
      expect(common.NODE_ENV).toBe('production');
    }
    // production refuses development keys: the conversations replicas get the operator's
    expect(() => loadConversationsConfig(envOf(compose.services.conversations))).not.toThrow();
  });

  test('the gateway acknowledges webhooks at the edge, under the account that deploy/mysql/edge-grants.sql grants, once it is granted', () => {
    const gateway = compose.services.gateway;
    const env = envOf(gateway);
    expect(loadGatewayConfig(env).GATEWAY_INGEST).toBe('edge');
    // the edge reads the conversations replicas' settings (conversations.edge.ts)
    const edge = parseEnv(subgraphEnvSchema(0, 'sqlite:x'), env);
    expect(edge.REDIS_URL).toBe(envOf(compose.services.conversations).REDIS_URL);
    expect(() => loadConversationsConfig(env)).not.toThrow();
    const account = new URL(edge.DATABASE_URL);
    const replicas = new URL(envOf(compose.services.conversations).DATABASE_URL);
    expect({ host: account.host, db: account.pathname }).toEqual({ host: replicas.host, db: replicas.pathname });
    expect(account.username).not.toBe(replicas.username);

    // the account named in the URL is the one the grants file and the edge-account step create
    const grants = readFileSync(join(ROOT, 'deploy/mysql/edge-grants.sql'), 'utf8');
    const granted = [...grants.matchAll(/^GRANT [^;]+ TO '(\w+)'@'%';$/gm)].map((m) => m[1]);
    expect(granted.length).toBeGreaterThan(0);
    expect(new Set(granted)).toEqual(new Set([account.username]));
    const step = compose.services['edge-account'];
    const script = interpolate(step.entrypoint!.join(' '), {});
    expect(script).toContain(`CREATE USER IF NOT EXISTS '${account.username}'@'%' IDENTIFIED BY '$EDGE_DB_PASSWORD'`);
    expect(script).toContain(`huiliu < /edge-grants.sql`);
    expect(step.volumes).toContain('./deploy/mysql/edge-grants.sql:/edge-grants.sql:ro');
    expect(envOf(step).EDGE_DB_PASSWORD).toBe(account.password);

    // granted only after the replicas migrated (the tables must exist), and the gateway starts only after that
    expect(step.depends_on).toEqual({ conversations: { condition: 'service_healthy' } });
    expect(compose.services.conversations.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${envOf(compose.services.conversations).PORT}/readyz`);
    expect(gateway.depends_on!['edge-account']).toEqual({ condition: 'service_completed_successfully' });
  });
});
