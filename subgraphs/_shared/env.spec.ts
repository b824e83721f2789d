import { ConfigError, DEV_JWT_SECRET, parseEnv, subgraphEnvSchema } from './env.js';

describe('subgraph configuration', () => {
  const schema = subgraphEnvSchema(4001, 'sqlite:./data/x.sqlite');

  it('has working defaults for development', () => {
    expect(parseEnv(schema, {})).toMatchObject({ PORT: 4001, DATABASE_URL: 'sqlite:./data/x.sqlite', JWT_SECRET: DEV_JWT_SECRET, MIGRATE_ON_BOOT: true, EVENTS_STREAM: 'huiliu:events' });
  });

  it('names the variable and the problem', () => {
    expect(() => parseEnv(schema, { DATABASE_URL: 'postgres://x' })).toThrow(/DATABASE_URL: must start with mysql:\/\//);
    expect(() => parseEnv(schema, { PORT: 'eighty' })).toThrow(/PORT:/);
    expect(() => parseEnv(schema, { EVENTS_STREAM: 'events of brand A' })).toThrow(/EVENTS_STREAM: must be 1–100 letters/);
    expect(() => parseEnv(schema, { DATABASE_URL: 'postgres://x' })).toThrow(ConfigError);
  });

  it('refuses the development secret in production', () => {
    expect(() => parseEnv(schema, { NODE_ENV: 'production', REDIS_URL: 'redis://r:6379' })).toThrow(/JWT_SECRET: the default development secret is refused/);
    expect(parseEnv(schema, { NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', JWT_SECRET: 'a-real-secret-0123456789' }).NODE_ENV).toBe('production');
  });
});
