import { inboundRequest, storedRequest } from './ingest.service.js';

const request = (rawBody: Buffer) => ({ method: 'POST', path: '/webhooks/x', query: { a: '1' }, headers: { 'content-type': 'text/xml' }, rawBody, receivedAt: new Date('2026-11-26T08:00:00.123Z') });

describe('stored request (audit copy of a webhook, re-parsed on replay)', () => {
  it('keeps a UTF-8 body as text and gives back the exact bytes', () => {
    const body = Buffer.from('<xml><Content><![CDATA[你好 🍚]]></Content></xml>', 'utf8');
    const stored = storedRequest(request(body));
    expect(stored.body).toBe('<xml><Content><![CDATA[你好 🍚]]></Content></xml>');
    expect(stored.bodyBase64).toBeUndefined();
    const back = inboundRequest(JSON.parse(JSON.stringify(stored)));
    expect(back.rawBody.equals(body)).toBe(true);
    expect(back.receivedAt.toISOString()).toBe('2026-11-26T08:00:00.123Z');
  });

  it('keeps any other bytes as base64 and gives them back exactly', () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3]); // not UTF-8
    const stored = storedRequest(request(body));
    expect(stored.body).toBeUndefined();
    expect(inboundRequest(JSON.parse(JSON.stringify(stored))).rawBody.equals(body)).toBe(true);
  });

  it('still reads rows stored before bodies were kept as text', () => {
    const old = { method: 'POST', path: '/webhooks/x', query: {}, headers: {}, bodyBase64: Buffer.from('<xml/>').toString('base64'), receivedAt: '2026-01-01T00:00:00.000Z' };
    expect(inboundRequest(old).rawBody.toString()).toBe('<xml/>');
  });
});
