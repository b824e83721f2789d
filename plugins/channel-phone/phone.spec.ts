import type { InboundRequest } from '../sdk/channel.js';
import { signPayload } from '../sdk/webhook-signature.js';
import { createTestHost, runChannelConformance } from '../sdk/testing/index.js';
import plugin from './index.js';

const CFG = { secret: 'cti-secret-0123456789abcdef', hotlines: ['400-820-8820'] };
const NOW = Date.UTC(2024, 5, 1, 2, 0, 0);
const TS = String(NOW / 1000);

const post = (body: unknown, o: { ts?: string; secret?: string } = {}): InboundRequest => {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const ts = o.ts ?? TS;
  return { method: 'POST', path: '/webhooks/cti', query: {}, headers: { 'content-type': 'application/json', 'x-huiliu-timestamp': ts, 'x-huiliu-signature': signPayload(o.secret ?? CFG.secret, ts, raw) }, rawBody: raw, receivedAt: new Date(NOW) };
};
const call = { callId: 'call-20240601-0001', direction: 'inbound', caller: '+86 138-0013-8000', callee: '400-820-8820' };
const CALL = { events: [
  { id: 'e1', type: 'call.ringing', ...call, at: NOW - 60_000, queue: '售后组' },
  { id: 'e2', type: 'call.answered', ...call, at: NOW - 55_000, agentId: 'agent-7' },
  { id: 'e3', type: 'transcript.segment', ...call, at: NOW - 50_000, segment: { seq: 0, speaker: 'customer', text: '我买的大米还没到', startMs: 0, endMs: 2100 } },
  { id: 'e4', type: 'transcript.segment', ...call, at: NOW - 45_000, segment: { seq: 1, speaker: 'agent', text: '我帮您查一下物流', final: true } },
  { id: 'e5', type: 'transcript.segment', ...call, at: NOW - 44_000, segment: { seq: 2, speaker: 'customer', text: '好的谢', final: false } },
  { id: 'e6', type: 'call.ended', ...call, at: NOW - 10_000, durationSec: 50, reason: 'hangup' },
  { id: 'e7', type: 'call.recording', ...call, at: NOW - 5_000, recordingUrl: 'https://cti.example/rec/call-20240601-0001.mp3', durationSec: 50 },
] };

runChannelConformance({
  plugin,
  channelType: 'phone',
  channelConfig: CFG,
  now: NOW,
  signedRequest: (body) => post(body),
  bodyIsSigned: true,
  inbound: [
    { name: 'a whole call (CTI events and transcript segments)', request: () => post(CALL), events: 7, response: { body: '{"received":7}' } },
    { name: 'a missed outbound call', request: () => post({ id: 'm1', type: 'call.missed', callId: 'c2', direction: 'outbound', caller: '400-820-8820', callee: '13900139000', at: new Date(NOW).toISOString() }), events: 1 },
  ],
  rejected: [
    { name: 'a wrong signature', request: () => post(CALL, { secret: 'another-secret-0123456789' }) },
    { name: 'a timestamp 6 minutes old', request: () => post(CALL, { ts: String(NOW / 1000 - 360) }) },
  ],
});

describe('phone', () => {
  const ch = createTestHost(plugin, { now: NOW }).bind(CFG);

  it('forms one conversation thread per call, with speakers, recording and the end', () => {
    const evs = ch.accept(post(CALL)).events;
    expect(new Set(evs.map((e) => e.thread?.id))).toEqual(new Set(['call:call-20240601-0001']));
    expect(evs.every((e) => e.sender.externalId === '+8613800138000' && e.sender.phone === '+8613800138000')).toBe(true);
    expect(evs.map((e) => [e.content.kind === 'event' ? e.content.name : e.content.kind, e.origin, e.ephemeral ?? false])).toEqual([
      ['call_ringing', 'system', false], ['call_answered', 'system', false], ['text', 'customer', false], ['text', 'agent', false], ['text', 'customer', true], ['call_ended', 'system', false], ['voice', 'system', false],
    ]);
    expect(evs[5].thread).toMatchObject({ ended: true });
    expect(evs[6].content).toEqual({ kind: 'voice', url: 'https://cti.example/rec/call-20240601-0001.mp3', durationMs: 50_000, format: 'recording' });
    expect(evs[1].context).toEqual({ callId: 'call-20240601-0001', agentId: 'agent-7' });
    expect(evs[2]).toMatchObject({ dedupeKey: 'cti:call-20240601-0001:e3', sentAt: new Date(NOW - 50_000), content: { text: '我买的大米还没到' } });
  });

  it('names the Huiliu agent who answered when the CTI agent is mapped in the config (SDK 1.4 thread.agentId), only on call.answered', () => {
    const AGENT = '0190a4f2-6c1e-7b3a-9d2e-5f6a7b8c9d0e';
    const mapped = createTestHost(plugin, { now: NOW }).bind({ ...CFG, agents: { 'agent-7': AGENT } });
    const evs = mapped.accept(post(CALL)).events;
    expect(evs.map((e) => e.thread?.agentId ?? null)).toEqual([null, AGENT, null, null, null, null, null]);
    expect(ch.accept(post(CALL)).events[1].thread?.agentId).toBeUndefined(); // not mapped: left out
    expect(() => createTestHost(plugin, { now: NOW }).bind({ ...CFG, agents: { 'agent-7': 'not-a-uuid' } })).toThrow(/agents/);
  });

  it('identifies the customer by the callee on outbound calls; accepts a rotated secret', () => {
    const rotated = createTestHost(plugin, { now: NOW }).bind({ ...CFG, secret: 'new-secret-0123456789abcdef', previousSecret: CFG.secret });
    const [e] = rotated.accept(post({ id: 'o1', type: 'call.ringing', callId: 'c3', direction: 'outbound', caller: '400-820-8820', callee: '139 0013 9000', at: NOW })).events;
    expect(e.sender.externalId).toBe('13900139000');
  });

  it('takes a call whose number is withheld as a caller of that call alone, with no phone (not an invalid event, which would disable the plugin)', () => {
    const withheld = (caller: string, callId: string) => ch.accept(post({ id: 'w1', type: 'call.ringing', callId, direction: 'inbound', caller, callee: '400-820-8820', at: NOW })).events[0];
    for (const caller of ['anonymous', 'unknown', '12', '8001']) {
      const e = withheld(caller, 'call-hidden-1');
      expect(e.sender).toEqual({ channelType: 'phone', externalId: 'anonymous:call-hidden-1' });
    }
    expect(withheld('anonymous', 'call-hidden-2').sender.externalId).toBe('anonymous:call-hidden-2'); // another call, another caller
  });

  it('keeps ids of the longest allowed size within the dedupe key limit, one key per event', () => {
    const long = (id: string) => ch.accept(post({ id, type: 'call.ringing', ...call, callId: 'c'.repeat(128), at: NOW })).events[0].dedupeKey;
    const a = long('e'.repeat(128));
    expect(a.length).toBeLessThanOrEqual(191);
    expect(long('e'.repeat(128))).toBe(a);
    expect(long(`${'e'.repeat(127)}f`)).not.toBe(a);
  });

  it('reads `at` as Unix seconds, Unix milliseconds or ISO 8601; a time out of range is BAD_REQUEST', () => {
    const sent = (at: unknown) => ch.accept(post({ id: 't', type: 'call.ringing', ...call, at })).events[0].sentAt;
    expect(sent(NOW / 1000)).toEqual(new Date(NOW));
    expect(sent(NOW)).toEqual(new Date(NOW));
    expect(sent('2024-06-01T10:00:00+08:00')).toEqual(new Date(NOW));
    expect(() => sent(9e15)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('at') }));
  });

  it('refuses events missing their payload with BAD_REQUEST', () => {
    expect(() => ch.accept(post({ id: 'x', type: 'call.recording', ...call, at: NOW }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('recordingUrl') }));
    expect(() => ch.accept(post({ id: 'x', type: 'transcript.segment', ...call, at: NOW }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => ch.accept(post({ id: 'x', type: 'call.ringing', ...call, direction: 'sideways', at: NOW }))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('direction') }));
  });
});
