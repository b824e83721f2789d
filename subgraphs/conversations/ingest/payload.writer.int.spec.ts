import { conversationsDatabase, onBothEngines } from '../../../test/helpers/engines.js';
import { newId } from '../../_shared/ids.js';
import { MultiRowInsert } from '../../_shared/multi-row-insert.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';
import { PayloadWriter } from './payload.writer.js';

const row = (dedupeKey: string, text = dedupeKey): InboundPayloadEntity => {
  const now = new Date();
  return {
    id: newId(), tenantId: 't-writer', channelId: 'c-writer', channelType: 'wechat-oa', dedupeKey, externalMessageId: null, status: P.PENDING, event: { text },
    request: { method: 'POST', path: '/webhooks/c-writer', query: {}, headers: {}, body: text, receivedAt: now.toISOString() }, attempts: 0, errorCode: null, error: null,
    messageId: null, receivedAt: now, nextAttemptAt: null, lockedUntil: null, processedAt: null, claimedBy: null,
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The writer's INSERT is written by hand for both engines (INSERT IGNORE / INSERT OR IGNORE).
describe.each(onBothEngines('payload_writer'))('PayloadWriter on %s', (_engine, url) => {
  const db = conversationsDatabase(url);
  let inserts: jest.SpyInstance;
  beforeEach(async () => {
    await db.ds.getRepository(InboundPayloadEntity).delete({ tenantId: 't-writer' });
    inserts = jest.spyOn(MultiRowInsert.prototype, 'runReturningIds'); // counts the statements; every call goes to the database as usual
  });
  afterEach(() => inserts.mockRestore());

  const stored = async () => (await db.ds.getRepository(InboundPayloadEntity).find({ where: { tenantId: 't-writer' } }))
    .map((r) => [r.dedupeKey, (r.event as { text: string }).text]).sort();

  it('stores concurrent webhooks in one INSERT; a redelivery leaves the first row as it was', async () => {
    const writer = new PayloadWriter(db.ds);
    // a goes at once; b, c and the redelivered a, written while a is in flight, share the next INSERT.
    const rows = [row('a'), row('b'), row('c'), row('a', 'redelivered')];
    const inserted = await Promise.all(rows.map((r) => writer.write([r])));
    expect(inserts).toHaveBeenCalledTimes(2);
    expect(inserts.mock.calls.map(([, rows]) => (rows as unknown[]).length)).toEqual([1, 3]);
    expect(await stored()).toEqual([['a', 'a'], ['b', 'b'], ['c', 'c']]);
    // Each webhook learns which of its rows went in (MariaDB and SQLite say so): not the redelivery.
    expect(rows.map((r, i) => inserted[i]!.has(r.id))).toEqual([true, true, true, false]);
  });

  it('with a window, webhooks that come one at a time within it share an INSERT; a quiet one is written at once', async () => {
    const windowMs = 300;
    const writer = new PayloadWriter(db.ds, windowMs);
    await writer.write([row('a')]); // nothing before it: at once
    const t0 = performance.now();
    const b = writer.write([row('b')]);
    await sleep(20); // b is waiting for the window's end, not in flight: c joins it
    const c = writer.write([row('c')]);
    await Promise.all([b, c]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(windowMs - 50);
    expect(inserts).toHaveBeenCalledTimes(2);
    await sleep(windowMs);
    const t1 = performance.now();
    await writer.write([row('d')]); // the window since the last INSERT is over: no wait
    expect(performance.now() - t1).toBeLessThan(windowMs / 2);
    expect(inserts).toHaveBeenCalledTimes(3);
    expect((await stored()).map(([k]) => k)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('within the window, a full batch goes at once: under saturation the window would only add latency', async () => {
    const windowMs = 1000;
    const writer = new PayloadWriter(db.ds, windowMs, { fullRows: 3 });
    await writer.write([row('a')]);
    const t0 = performance.now();
    const waiting = [writer.write([row('b')]), writer.write([row('c')])];
    await sleep(20); // two rows wait for the window's end; the third fills the batch
    await Promise.all([...waiting, writer.write([row('d')])]);
    expect(performance.now() - t0).toBeLessThan(windowMs / 2);
    expect(inserts.mock.calls.map(([, rows]) => (rows as unknown[]).length)).toEqual([1, 3]);
    expect((await stored()).map(([k]) => k)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('without a window, the same sequence takes an INSERT per webhook', async () => {
    const writer = new PayloadWriter(db.ds);
    await writer.write([row('a')]);
    const b = writer.write([row('b')]);
    await sleep(20);
    await Promise.all([b, writer.write([row('c')])]);
    expect(inserts).toHaveBeenCalledTimes(3);
  });
});
