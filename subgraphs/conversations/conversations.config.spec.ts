import { ConfigError } from '../_shared/env.js';
import { DEFAULT_CONVERSATIONS_CONFIG, loadConversationsConfig } from './conversations.config.js';

describe('conversations config', () => {
  it('defaults to the built-in summarizer and a 72 h reopen window', () => {
    expect(loadConversationsConfig({})).toEqual({ ...DEFAULT_CONVERSATIONS_CONFIG, ingest: expect.objectContaining({ publicBaseUrl: 'http://localhost:4000', sweepIntervalMs: 2000 }) });
  });

  it('switches to an OpenAI-compatible LLM provider, and names what is missing', () => {
    const c = loadConversationsConfig({ SUMMARIZER_PROVIDER: 'openai', SUMMARIZER_LLM_BASE_URL: 'http://llm.local/v1', SUMMARIZER_LLM_MODEL: 'qwen-plus', SUMMARIZER_LLM_API_KEY: 'sk-x', REOPEN_WINDOW_HOURS: '24' });
    expect(c).toEqual({ reopenWindowHours: 24, summarizer: { provider: 'openai', baseUrl: 'http://llm.local/v1', model: 'qwen-plus', apiKey: 'sk-x', timeoutMs: 5000 }, ingest: expect.any(Object) });
    expect(() => loadConversationsConfig({ SUMMARIZER_PROVIDER: 'openai' })).toThrow(ConfigError);
    expect(() => loadConversationsConfig({ SUMMARIZER_PROVIDER: 'openai' })).toThrow(/SUMMARIZER_LLM_BASE_URL: is required/);
    expect(() => loadConversationsConfig({ REOPEN_WINDOW_HOURS: '-1' })).toThrow(/REOPEN_WINDOW_HOURS/);
    expect(loadConversationsConfig({ CUSTOMERS_URL: 'http://customers:4001/graphql', CHANNEL_PLUGINS: 'builtins' }).ingest).toMatchObject({ customersUrl: 'http://customers:4001/graphql', plugins: ['builtins'] });
  });

  // Each tuning variable: its default, a value it takes, and one it refuses (naming the variable).
  it.each([
    ['disables a plugin after one crash', 'CHANNEL_PLUGIN_DISABLE_AFTER', 'pluginDisableAfter', 1, '5', 5, '0'],
    ['lets what arrives during a processing batch wait for it 100 ms at most', 'INGEST_BATCH_WAIT_MS', 'batchWaitMs', 100, '0', 0, '-1'],
    ["groups the acknowledgement path's INSERTs in 3 ms windows (0: none)", 'INGEST_GROUP_COMMIT_MS', 'groupCommitMs', 3, '0', 0, '5000'],
    ['paces processing for acknowledgements at 20 ms (0: never)', 'INGEST_ACK_TARGET_MS', 'ackTargetMs', 20, '0', 0, '-5'],
    ['keeps processed payloads 30 days (0: forever)', 'INGEST_RETENTION_DAYS', 'retentionDays', 30, '0', 0, '-1'],
  ] as const)('%s unless %s says otherwise', (_what, name, field, dflt, given, taken, refused) => {
    expect(loadConversationsConfig({}).ingest).toMatchObject({ [field]: dflt });
    expect(loadConversationsConfig({ [name]: given }).ingest).toMatchObject({ [field]: taken });
    expect(() => loadConversationsConfig({ [name]: refused })).toThrow(new RegExp(name));
  });

  it('takes channel secret keys from CHANNEL_SECRET_KEYS, else PII_KEYS, and refuses the development key in production', () => {
    const key = (c: string) => Buffer.alloc(32, c).toString('base64');
    const dev = loadConversationsConfig({}).ingest!.secretKeys!;
    expect(dev.activeKeyId).toBe('dev1');
    const pii = loadConversationsConfig({ PII_KEYS: `p1:${key('a')},p2:${key('b')}`, PII_ACTIVE_KEY_ID: 'p2' }).ingest!.secretKeys!;
    expect([...pii.keys.keys()]).toEqual(['p1', 'p2']);
    expect(pii.activeKeyId).toBe('p2');
    const own = loadConversationsConfig({ CHANNEL_SECRET_KEYS: `c1:${key('c')}`, PII_KEYS: `p1:${key('a')}`, CHANNEL_SECRET_ACTIVE_KEY_ID: '' }).ingest!.secretKeys!;
    expect([...own.keys.keys()]).toEqual(['c1']);
    expect(own.activeKeyId).toBe('c1');
    expect(() => loadConversationsConfig({ CHANNEL_SECRET_KEYS: `c1:${key('c')},c2:${key('d')}` })).toThrow(/CHANNEL_SECRET_ACTIVE_KEY_ID: is required/);
    expect(() => loadConversationsConfig({ PII_KEYS: `p1:${key('a')}`, PII_ACTIVE_KEY_ID: 'p9' })).toThrow(/PII_ACTIVE_KEY_ID: must be one of/);
    expect(() => loadConversationsConfig({ NODE_ENV: 'production' })).toThrow(/CHANNEL_SECRET_KEYS: the development key is refused in production/);
    expect(loadConversationsConfig({ NODE_ENV: 'production', PII_KEYS: `p1:${key('a')}` }).ingest!.secretKeys!.activeKeyId).toBe('p1');
    // plugins may not call private addresses in production unless the operator says so (partners on its own network)
    expect(loadConversationsConfig({ NODE_ENV: 'production', PII_KEYS: `p1:${key('a')}` }).ingest!.blockPrivateAddresses).toBe(true);
    expect(loadConversationsConfig({ NODE_ENV: 'production', PII_KEYS: `p1:${key('a')}`, CHANNEL_HTTP_BLOCK_PRIVATE: 'false' }).ingest!.blockPrivateAddresses).toBe(false);
    expect(loadConversationsConfig({}).ingest!.blockPrivateAddresses).toBe(false);
  });
});
