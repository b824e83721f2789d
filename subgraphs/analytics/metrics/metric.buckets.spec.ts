import { DomainError } from '../../_shared/errors.js';
import type { DomainEvent } from '../../_shared/events.js';
import { HOUR_MS, hourBucket, hourBuckets, hourCeil, METRIC, resolveRange, toObservation } from './metric.buckets.js';

const d = (iso: string) => new Date(iso);
const event = (over: Partial<DomainEvent>): DomainEvent => ({
  id: '6b0f2d1e-3c4a-4f5b-9a6c-7d8e9f0a1b2c',
  type: 'conversation.opened',
  tenantId: 't_demo',
  occurredAt: '2025-03-01T10:17:42.123Z',
  data: { conversationId: 'c1', customerId: 'u1', channelType: 'wechat-oa' },
  ...over,
});

describe('hour buckets', () => {
  it('floors to the start of the UTC hour, whatever the offset the time was written with', () => {
    expect(hourBucket(d('2025-03-01T10:17:42.123Z')).toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(hourBucket(d('2025-03-01T18:59:59.999+08:00')).toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(hourBucket(d('2025-03-01T00:30:00+05:30')).toISOString()).toBe('2025-02-28T19:00:00.000Z');
  });

  it('keeps a time that is already on the hour, and rounds up only off the hour', () => {
    expect(hourBucket(d('2025-03-01T10:00:00.000Z')).toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(hourCeil(d('2025-03-01T10:00:00.000Z')).toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(hourCeil(d('2025-03-01T10:00:00.001Z')).toISOString()).toBe('2025-03-01T11:00:00.000Z');
  });

  it('lists every hour of [from, to), crossing a day boundary', () => {
    expect(hourBuckets(d('2025-03-01T22:00:00Z'), d('2025-03-02T01:00:00Z')).map((b) => b.toISOString())).toEqual([
      '2025-03-01T22:00:00.000Z', '2025-03-01T23:00:00.000Z', '2025-03-02T00:00:00.000Z',
    ]);
    expect(hourBuckets(d('2025-03-01T10:00:00Z'), d('2025-03-01T10:00:00Z'))).toEqual([]);
  });
});

describe('resolveRange', () => {
  const now = d('2025-03-01T10:17:00Z');

  it('defaults to the 24 hours that end with the current hour', () => {
    const r = resolveRange({}, now);
    expect(r.to.toISOString()).toBe('2025-03-01T11:00:00.000Z');
    expect(r.from.toISOString()).toBe('2025-02-28T11:00:00.000Z');
    expect(hourBuckets(r.from, r.to)).toHaveLength(24);
  });

  it('widens a given range to whole hours', () => {
    const r = resolveRange({ from: d('2025-03-01T08:30:00Z'), to: d('2025-03-01T09:10:00Z') }, now);
    expect([r.from.toISOString(), r.to.toISOString()]).toEqual(['2025-03-01T08:00:00.000Z', '2025-03-01T10:00:00.000Z']);
  });

  it('refuses from >= to and more than 93 days with BAD_USER_INPUT', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof DomainError ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(() => resolveRange({ from: now, to: now }, now))).toBe('BAD_USER_INPUT');
    expect(code(() => resolveRange({ from: d('2025-03-02T00:00:00Z'), to: d('2025-03-01T00:00:00Z') }, now))).toBe('BAD_USER_INPUT');
    expect(code(() => resolveRange({ from: d('2025-01-01T00:00:00Z'), to: new Date(Date.parse('2025-01-01T00:00:00Z') + 93 * 24 * HOUR_MS + 1) }, now))).toBe('BAD_USER_INPUT');
    expect(code(() => resolveRange({ from: d('2025-01-01T00:00:00Z'), to: new Date(Date.parse('2025-01-01T00:00:00Z') + 93 * 24 * HOUR_MS) }, now))).toBe('no error');
    // only `from`, in the future: the default `to` (end of the current hour) is before it
    expect(code(() => resolveRange({ from: d('2025-03-05T00:00:00Z') }, now))).toBe('BAD_USER_INPUT');
  });
});

describe('toObservation', () => {
  it('counts an opened conversation once, in the hour and on the channel it happened', () => {
    expect(toObservation(event({}))).toEqual({
      kind: 'observe',
      observation: { eventId: event({}).id, tenantId: 't_demo', metric: METRIC.conversationsOpened, bucketStart: d('2025-03-01T10:00:00Z'), channelType: 'wechat-oa', value: 1 },
    });
    const noChannel = toObservation(event({ data: { conversationId: 'c1' } }));
    expect(noChannel.kind === 'observe' && noChannel.observation.channelType).toBe('');
  });

  it('does not count a record (opened already RESOLVED: an order or call event) as a conversation opened', () => {
    expect(toObservation(event({ data: { conversationId: 'c1', channelType: 'taobao', from: null, to: 'RESOLVED' } }))).toEqual({ kind: 'ignore' });
    expect(toObservation(event({ data: { conversationId: 'c1', channelType: 'taobao', from: null, to: 'QUEUED' } })).kind).toBe('observe');
  });

  it('observes the seconds of a first response, with no channel', () => {
    const r = toObservation(event({ type: 'conversation.first_response', occurredAt: '2025-03-01T11:59:59.999Z', data: { conversationId: 'c1', seconds: 42.5 } }));
    expect(r).toMatchObject({ kind: 'observe', observation: { metric: METRIC.firstResponseSeconds, bucketStart: d('2025-03-01T11:00:00Z'), channelType: '', value: 42.5 } });
  });

  it('ignores other event types and flags events it cannot store', () => {
    expect(toObservation(event({ type: 'message.received' }))).toEqual({ kind: 'ignore' });
    expect(toObservation(event({ occurredAt: 'yesterday' })).kind).toBe('malformed');
    expect(toObservation(event({ tenantId: '' })).kind).toBe('malformed');
    expect(toObservation(event({ id: 'x'.repeat(37) })).kind).toBe('malformed');
    expect(toObservation(event({ data: { channelType: 'x'.repeat(41) } })).kind).toBe('malformed');
    expect(toObservation(event({ type: 'conversation.first_response', data: { seconds: -1 } })).kind).toBe('malformed');
    expect(toObservation(event({ type: 'conversation.first_response', data: { seconds: '12' } })).kind).toBe('malformed');
  });
});
