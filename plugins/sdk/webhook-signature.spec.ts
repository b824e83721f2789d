import { signPayload, verifySignedPayload } from './webhook-signature.js';

const req = (headers: Record<string, string>, body: string, at: number) => ({ headers, rawBody: Buffer.from(body), receivedAt: new Date(at * 1000) });

describe('partner webhook signatures', () => {
  const body = '{"event":"message_created","id":1,"content":"hi","message_type":"outgoing"}';

  it('matches the Chatwoot-style vector (sha256=HMAC(secret, ts + "." + body))', () => {
    expect(signPayload('cw_secret', 1700000000, body)).toBe('sha256=709129c3271b2fb48ddaba8bcc302086bdb0e884a6344aa67c6d23796a95bf99');
  });

  it('accepts a valid signature within ±5 minutes, and a second secret during rotation', () => {
    const h = { 'x-huiliu-timestamp': '1700000000', 'x-huiliu-signature': signPayload('cw_secret', 1700000000, body) };
    expect(() => verifySignedPayload(req(h, body, 1700000000 + 299), 'cw_secret')).not.toThrow();
    expect(() => verifySignedPayload(req(h, body, 1700000000 - 299), ['new-secret', 'cw_secret'])).not.toThrow();
  });

  it('refuses a wrong signature, a changed body, a stale timestamp and missing headers with AUTH', () => {
    const h = { 'x-huiliu-timestamp': '1700000000', 'x-huiliu-signature': signPayload('cw_secret', 1700000000, body) };
    const auth = expect.objectContaining({ code: 'AUTH' });
    expect(() => verifySignedPayload(req(h, body, 1700000000), 'other')).toThrow(auth);
    expect(() => verifySignedPayload(req(h, body.replace('hi', 'ho'), 1700000000), 'cw_secret')).toThrow(auth);
    expect(() => verifySignedPayload(req(h, body, 1700000000 + 301), 'cw_secret')).toThrow(expect.objectContaining({ code: 'AUTH', message: expect.stringContaining('stale') }));
    expect(() => verifySignedPayload(req({ 'x-huiliu-timestamp': '1700000000' }, body, 1700000000), 'cw_secret')).toThrow(auth);
    expect(() => verifySignedPayload(req({ ...h, 'x-huiliu-timestamp': 'yesterday' }, body, 1700000000), 'cw_secret')).toThrow(auth);
  });
});
