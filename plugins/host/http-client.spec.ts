import { startFakeServer, closedUrl, type FakeServer } from '../sdk/testing/fake-server.js';
import { createHttpClient, resolveUrl } from './http-client.js';

describe('plugin HTTP client', () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFakeServer({
      'POST /prefix/cgi-bin/send': (r) => ({ json: { echo: r.json, id: 1 } }),
      'GET /big': () => ({ body: '{"MsgId":23241477706429916,"n":1.5e3,"s":"12345678901234567890"}' }),
      'GET /slow': () => ({ delayMs: 300, body: 'late' }),
    });
  });
  afterAll(() => fake.close());

  it('resolves relative URLs against a base URL with a path prefix and merges the query', () => {
    expect(resolveUrl('http://h:1/prefix/', '/cgi-bin/token', { a: 1, b: undefined, c: 'x y' }).toString()).toBe('http://h:1/prefix/cgi-bin/token?a=1&c=x+y');
    expect(resolveUrl('http://h:1/prefix', 'https://other.example/p?q=1', {}).toString()).toBe('https://other.example/p?q=1');
    expect(() => resolveUrl(undefined, '/x')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });

  it('posts JSON and reads JSON keeping 64-bit integers exact', async () => {
    const http = createHttpClient({ baseUrl: `${fake.url}/prefix` });
    const res = await http.request({ method: 'POST', url: '/cgi-bin/send', query: { access_token: 'T' }, json: { touser: 'o1' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ echo: { touser: 'o1' }, id: 1 });
    expect(fake.requests[0]).toMatchObject({ query: { access_token: 'T' }, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect((await createHttpClient({ baseUrl: fake.url }).request({ url: '/big' })).json()).toEqual({ MsgId: '23241477706429916', n: 1500, s: '12345678901234567890' });
  });

  it('turns timeouts and refused connections into retryable UNAVAILABLE errors without the query string', async () => {
    const http = createHttpClient({ baseUrl: fake.url, timeoutMs: 50 });
    const slow = await http.request({ url: '/slow', query: { access_token: 'SECRET_TOKEN' } }).catch((e) => e);
    expect(slow).toMatchObject({ code: 'UNAVAILABLE', retryable: true, message: expect.stringContaining('timed out after 50 ms') });
    expect(slow.message).not.toContain('SECRET_TOKEN');
    const down = await createHttpClient({ baseUrl: await closedUrl() }).request({ url: '/x', query: { access_token: 'SECRET_TOKEN' } }).catch((e) => e);
    expect(down).toMatchObject({ code: 'UNAVAILABLE', retryable: true, message: expect.stringContaining('ECONNREFUSED') });
    expect(down.message).not.toContain('SECRET_TOKEN');
  });

  it('with blockPrivateAddresses, refuses loopback, private and link-local addresses, by literal or by what a name resolves to, as a non-retryable error; nothing is sent', async () => {
    const port = new URL(fake.url).port;
    const guarded = createHttpClient({ blockPrivateAddresses: true });
    const before = fake.requests.length;
    for (const url of [`http://127.0.0.1:${port}/big`, `http://localhost:${port}/big`, 'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/x', 'http://[::1]:9/x']) {
      const r = await guarded.request({ method: 'POST', url, json: { event: 'message.created' } }).catch((e) => e);
      expect({ url, code: r.code, retryable: r.retryable, private: /private address/.test(r.message) }).toEqual({ url, code: 'BAD_REQUEST', retryable: false, private: true });
    }
    expect(fake.requests.length).toBe(before);
    // without it (tests, an installation whose partners are on its own network) the same request goes through
    expect((await createHttpClient().request({ url: `http://localhost:${port}/big` })).status).toBe(200);
  });
});
