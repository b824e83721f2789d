import { In } from 'typeorm';
import { conversationsDatabase, onBothEngines } from '../../../test/helpers/engines.js';
import { newId } from '../../_shared/ids.js';
import { LOCK_MS, PayloadClaims } from './payload.claims.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';

const payloadRow = (status: P, now: Date, over: Partial<InboundPayloadEntity> = {}): InboundPayloadEntity => ({
  id: newId(), tenantId: 't1', channelId: 'c1', channelType: 'wechat-oa', dedupeKey: newId(), externalMessageId: null, status, event: null,
  request: { method: 'POST', path: '/webhooks/c1', query: {}, headers: {}, body: '', receivedAt: now.toISOString() }, attempts: 1, errorCode: null, error: null,
  messageId: null, receivedAt: now, nextAttemptAt: null, lockedUntil: null, processedAt: null, claimedBy: null, ...over,
});

// The claim is raw SQL on MariaDB and the query builder on SQLite: the same rules on both.
describe.each(onBothEngines('payload_claims'))('PayloadClaims on %s', (_engine, url) => {
  const db = conversationsDatabase(url);

  it('takes due rows and the rows held under a token it was given (its own, a receiver\'s hand-off), never another claim that still holds', async () => {
    const now = new Date();
    const later = new Date(now.getTime() + LOCK_MS);
    const earlier = new Date(now.getTime() - 1000);
    const mine = newId();
    const theirs = newId();
    const receiver = newId();
    const row = (status: P, over: Partial<InboundPayloadEntity> = {}) => payloadRow(status, now, over);
    const rows = {
      pending: row(P.PENDING, { attempts: 0 }),
      storedByMe: row(P.PROCESSING, { claimedBy: mine, lockedUntil: later }),
      handedOver: row(P.PROCESSING, { claimedBy: receiver, lockedUntil: later }),
      heldByOther: row(P.PROCESSING, { claimedBy: theirs, lockedUntil: later }),
      expired: row(P.PROCESSING, { claimedBy: theirs, lockedUntil: earlier }),
      retryDue: row(P.FAILED, { nextAttemptAt: earlier }),
      retryLater: row(P.FAILED, { nextAttemptAt: later }),
      processed: row(P.PROCESSED),
    };
    const repo = db.ds.getRepository(InboundPayloadEntity);
    await repo.insert(Object.values(rows));
    const claim = newId();
    expect(await new PayloadClaims(db.ds).claim(Object.values(rows).map((r) => r.id), claim, now, [mine, receiver])).toBe(5);
    const after = new Map((await repo.findBy({ id: In(Object.values(rows).map((r) => r.id)) })).map((r) => [r.id, r]));
    const taken = Object.entries(rows).filter(([, r]) => after.get(r.id)!.claimedBy === claim).map(([k]) => k).sort();
    expect(taken).toEqual(['expired', 'handedOver', 'pending', 'retryDue', 'storedByMe']);
    for (const k of taken) expect(after.get(rows[k as keyof typeof rows].id)).toMatchObject({ status: P.PROCESSING, attempts: rows[k as keyof typeof rows].attempts + 1 });
    expect(after.get(rows.heldByOther.id)).toMatchObject({ status: P.PROCESSING, claimedBy: theirs });
    // without `own`, a row stored claimed by a replica is held like any other claim
    expect(await new PayloadClaims(db.ds).claim([rows.heldByOther.id], newId(), now)).toBe(0);
  });

  it('releases the rows a stopping replica still holds, and only those', async () => {
    const now = new Date();
    const mine = newId();
    const row = (over: Partial<InboundPayloadEntity>) => payloadRow(P.PROCESSING, now, { lockedUntil: new Date(now.getTime() + LOCK_MS), claimedBy: mine, ...over });
    const held = row({});
    const other = row({ claimedBy: newId() });
    const done = row({ status: P.PROCESSED, claimedBy: null, lockedUntil: null });
    const repo = db.ds.getRepository(InboundPayloadEntity);
    await repo.insert([held, other, done]);
    expect(await new PayloadClaims(db.ds).release([held.id, other.id, done.id], mine)).toBe(1);
    const after = new Map((await repo.findBy({ id: In([held.id, other.id, done.id]) })).map((r) => [r.id, r]));
    expect(after.get(held.id)).toMatchObject({ status: P.PENDING, claimedBy: null, lockedUntil: null, attempts: 0 });
    expect(after.get(other.id)).toMatchObject({ status: P.PROCESSING, claimedBy: other.claimedBy, attempts: 1 });
    expect(after.get(done.id)).toMatchObject({ status: P.PROCESSED });
  });
});
