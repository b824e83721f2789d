import { In } from 'typeorm';
import { conversationsDatabase, onBothEngines } from '../../../test/helpers/engines.js';
import { newId } from '../../_shared/ids.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';
import { PayloadRetention } from './payload.retention.js';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000);

const payload = (tenantId: string, status: P, processedAt: Date | null, receivedAt = daysAgo(40)): InboundPayloadEntity => Object.assign(new InboundPayloadEntity(), {
  id: newId(), tenantId, channelId: 'ch-ret', channelType: 'wechat-oa', dedupeKey: newId(), externalMessageId: null, status,
  event: null, request: { method: 'POST', path: '/', query: {}, headers: {}, body: '<xml/>', receivedAt: receivedAt.toISOString() }, attempts: 1,
  errorCode: null, error: null, messageId: null, receivedAt, nextAttemptAt: null, lockedUntil: null, processedAt, claimedBy: null,
});

describe.each(onBothEngines('payload_retention'))('payload retention on %s', (_engine, url) => {
  const db = conversationsDatabase(url);
  const repo = () => db.ds.getRepository(InboundPayloadEntity);
  const left = async (tenantId: string) => (await repo().find({ select: { id: true }, where: { tenantId } })).map((r) => r.id).sort();
  beforeEach(() => repo().clear()); // the purge is not per tenant: counts hold only on an empty table

  it('deletes processed payloads past the retention; keeps recent ones, failed ones and unfinished ones, whatever their age', async () => {
    const t = newId();
    const old = payload(t, P.PROCESSED, daysAgo(31));
    const kept = [
      payload(t, P.PROCESSED, daysAgo(29)), payload(t, P.FAILED, null), payload(t, P.PENDING, null), payload(t, P.PROCESSING, null),
    ];
    await repo().insert([old, ...kept]);
    expect(await new PayloadRetention(db.ds, 30, 1000, () => NOW).purge()).toEqual({ deleted: 1, more: false });
    expect(await left(t)).toEqual(kept.map((k) => k.id).sort());
    expect(await new PayloadRetention(db.ds, 30, 1000, () => NOW).purge()).toEqual({ deleted: 0, more: false });
  });

  it('goes in batches, says when more are left, and with 0 days keeps everything', async () => {
    const t = newId();
    const rows = Array.from({ length: 5 }, () => payload(t, P.PROCESSED, daysAgo(60)));
    await repo().insert(rows);
    expect(await new PayloadRetention(db.ds, 0, 2, () => NOW).purge()).toEqual({ deleted: 0, more: false });
    expect(await left(t)).toHaveLength(5);
    expect(await new PayloadRetention(db.ds, 30, 2, () => NOW).purge(2)).toEqual({ deleted: 4, more: true });
    expect(await repo().count({ where: { id: In(rows.map((r) => r.id)) } })).toBe(1);
    expect(await new PayloadRetention(db.ds, 30, 2, () => NOW).purge(2)).toEqual({ deleted: 1, more: false });
    expect(await left(t)).toEqual([]);
  });
});
