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
});
