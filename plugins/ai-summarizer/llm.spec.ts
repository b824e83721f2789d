import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactConfig } from '../sdk/config.js';
import type { PluginContext } from '../sdk/context.js';
import plugin, { createSummarizer, summarizerConfigSchema, summaryFeature } from './index.js';
import type { TranscriptLine } from './summarizer.js';

/** A stand-in for an OpenAI-compatible provider: POST /v1/chat/completions, answering what the test scripts. */
class FakeProvider {
  requests: Array<{ headers: IncomingMessage['headers']; body: any }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  answer: (body: any) => { status: number; body: unknown; delayMs?: number } = () => ({ status: 500, body: {} });
  private server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw);
      this.requests.push({ headers: req.headers, body });
      const a = this.answer(body);
      if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
      const t = setTimeout(() => { this.timers.delete(t); res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body)); }, a.delayMs ?? 0);
      this.timers.add(t);
    });
  });
  url = '';
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }
  stop() {
    for (const t of this.timers) clearTimeout(t); // answers still delayed (the timeout case)
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

const completion = (content: string) => ({ id: 'chatcmpl-1', object: 'chat.completion', model: 'qwen-plus', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] });

const lines: TranscriptLine[] = [
  { at: new Date('2025-11-20T02:00:00Z'), channelType: 'app', speaker: 'CUSTOMER', text: '订单 3862410087654321 还没发货', conversationId: 'c1' },
  { at: new Date('2025-11-20T02:01:00Z'), channelType: 'app', speaker: 'AGENT', text: '今天会为您发出。', conversationId: 'c1' },
  { at: new Date('2025-11-21T02:00:00Z'), channelType: 'phone', speaker: 'CUSTOMER', text: '怎么还没到？？', conversationId: 'c2' },
];

describe('LLM summarizer (OpenAI-compatible chat completions)', () => {
  const fake = new FakeProvider();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => (fake.requests = []));

  const make = (timeoutMs = 2000, fallbacks: string[] = []) =>
    createSummarizer(summarizerConfigSchema.parse({ provider: 'openai', baseUrl: fake.url, apiKey: 'sk-test-secret', model: 'qwen-plus', timeoutMs }), { onFallback: (r) => fallbacks.push(r) });

  it("sends the transcript and keeps the deterministic facts whatever the model answers", async () => {
    fake.answer = () => ({ status: 200, body: completion('```json\n{"wanted":["尽快收到大米"],"orderIds":["998877665544332211"],"promised":["今天发出"],"open":["物流未更新"],"mood":"anxious"}\n```') });
    const s = await make().summarize({ tenantId: 't', lines });
    expect(s).toMatchObject({
      provider: 'openai:qwen-plus',
      channels: ['app', 'phone'],
      since: '2025-11-20T02:00:00.000Z',
      wanted: ['尽快收到大米'],
      orderIds: ['3862410087654321', '998877665544332211'],
      promised: ['今天发出'],
      open: ['物流未更新'],
      mood: 'anxious',
    });
    expect(s.text).toContain('情绪：焦急');
    const [req] = fake.requests;
    expect(req.headers.authorization).toBe('Bearer sk-test-secret');
    expect(req.body).toMatchObject({ model: 'qwen-plus', temperature: 0, response_format: { type: 'json_object' } });
    expect(req.body.messages[0].role).toBe('system');
    expect(req.body.messages[1].content).toContain('[2025-11-21 02:00][phone][CUSTOMER] 怎么还没到？？');
  });

  it('falls back to the built-in summarizer on an error status, a malformed answer or a timeout', async () => {
    const fallbacks: string[] = [];
    // A generous timeout for the answers that come at once (a busy CI machine is slow to serve them), a short
    // one against a provider that takes far longer.
    const s = make(5000, fallbacks);
    fake.answer = () => ({ status: 503, body: { error: { message: 'overloaded' } } });
    expect((await s.summarize({ tenantId: 't', lines })).provider).toBe('builtin');
    fake.answer = () => ({ status: 200, body: completion('我觉得客户很着急') });
    expect((await s.summarize({ tenantId: 't', lines })).provider).toBe('builtin');
    fake.answer = () => ({ status: 200, body: completion('{"wanted":[],"mood":"furious"}') });
    expect((await s.summarize({ tenantId: 't', lines })).provider).toBe('builtin');
    fake.answer = () => ({ status: 200, body: completion('{"mood":"calm"}'), delayMs: 5000 });
    const slow = await make(300, fallbacks).summarize({ tenantId: 't', lines });
    expect(slow).toMatchObject({ provider: 'builtin', orderIds: ['3862410087654321'], promised: ['今天会为您发出。'] });
    expect(fallbacks).toEqual(['HTTP 503', 'answer is not JSON', 'unexpected answer shape', 'timeout']);
  });

  it('marks the API key secret in the config schema, and refuses an incomplete LLM config', () => {
    const config = summarizerConfigSchema.parse({ provider: 'openai', baseUrl: fake.url, apiKey: 'sk-test-secret', model: 'm' });
    expect(redactConfig(summarizerConfigSchema, config)).toMatchObject({ apiKey: '[redacted]', model: 'm', timeoutMs: 5000 });
    expect(summarizerConfigSchema.safeParse({ provider: 'openai', model: 'm' }).success).toBe(false);
    expect(summarizerConfigSchema.parse({ provider: 'builtin' })).toEqual({ provider: 'builtin' });
  });
});

describe('ai-summarizer as an SDK AI plugin', () => {
  it('declares an ai plugin and registers the summary feature, which summarises SDK messages', async () => {
    expect(plugin.manifest).toMatchObject({ id: 'ai-summarizer', kind: 'ai' });
    const features: Array<{ name: string }> = [];
    plugin.register({ config: { provider: 'builtin' }, channels: { register: () => undefined }, ai: { register: (f) => void features.push(f) } });
    expect(features.map((f) => f.name)).toEqual(['summary']);

    const feature = summaryFeature(() => createSummarizer({ provider: 'builtin' }));
    const out = await feature.handle(
      {
        tenantId: 't',
        conversationId: 'c1',
        context: { channelType: 'taobao' },
        messages: [
          { origin: 'customer', sentAt: new Date('2025-11-20T02:00:00Z'), content: { kind: 'text', text: '订单 3862410087654321 能退款吗？' } },
          { origin: 'agent', sentAt: new Date('2025-11-20T02:01:00Z'), content: { kind: 'text', text: '已为您申请退款。' } },
        ],
      },
      {} as PluginContext,
    );
    expect(out.data).toMatchObject({ channels: ['taobao'], orderIds: ['3862410087654321'], promised: ['已为您申请退款。'], open: [], provider: 'builtin' });
  });
});
