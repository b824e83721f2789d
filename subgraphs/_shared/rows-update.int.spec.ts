import { In } from 'typeorm';
import { conversationsDatabase, onBothEngines } from '../../test/helpers/engines.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from '../conversations/ingest/payload.entity.js';
import { newId } from './ids.js';
import { RowsUpdate } from './rows-update.js';

const payload = (over: Partial<InboundPayloadEntity> = {}): InboundPayloadEntity => Object.assign(new InboundPayloadEntity(), {
  id: newId(), tenantId: 't-ru', channelId: 'ch-ru', channelType: 'wechat-oa', dedupeKey: newId(), externalMessageId: null, status: P.PROCESSING,
  event: null, request: { method: 'POST', path: '/', query: {}, headers: {}, body: '', receivedAt: '2026-11-27T01:00:00.000Z' }, attempts: 1, errorCode: 'X', error: 'old', messageId: null,
  receivedAt: new Date('2026-11-27T01:00:00.000Z'), nextAttemptAt: null, lockedUntil: new Date('2026-11-27T01:01:00.000Z'), processedAt: null, claimedBy: 'claim-1', ...over,
});

// The hand-built UPDATE against what typeorm reads back: dates, nulls, per-row values and conditions, on both engines.
describe.each(onBothEngines('rows_update'))('RowsUpdate on %s', (_engine, url) => {
  const db = conversationsDatabase(url);
  const repo = () => db.ds.getRepository(InboundPayloadEntity);

  it('sets the same values on every row and a value per row where one is given; other rows stay as they were', async () => {
    const [a, b, c, untouched] = [payload(), payload(), payload({ messageId: 'kept' }), payload()];
    await repo().insert([a, b, c, untouched]);
    const at = new Date('2026-11-27T02:03:04.567Z');
    const n = await new RowsUpdate(db.ds, InboundPayloadEntity).run(db.ds.manager, [a.id, b.id, c.id], {
      same: { status: P.PROCESSED, processedAt: at, lockedUntil: null, error: null, errorCode: null, claimedBy: null },
      perRow: { messageId: new Map([[a.id, 'm-a'], [b.id, 'm-b']]) },
    });
    expect(n).toBe(3);
    const rows = await repo().find({ where: { id: In([a.id, b.id, c.id, untouched.id]) } });
    const of = (id: string) => rows.find((r) => r.id === id)!;
    for (const [id, messageId] of [[a.id, 'm-a'], [b.id, 'm-b'], [c.id, 'kept']]) {
      expect(of(id)).toMatchObject({ status: P.PROCESSED, processedAt: at, lockedUntil: null, error: null, errorCode: null, claimedBy: null, messageId });
    }
    expect(of(untouched.id)).toMatchObject({ status: P.PROCESSING, messageId: null, error: 'old', claimedBy: 'claim-1' });
  });

  it('writes a date per row, and only the rows that meet the further conditions', async () => {
    const [a, b] = [payload(), payload({ tenantId: 't-other' })];
    await repo().insert([a, b]);
    const at = new Map([[a.id, new Date('2026-11-27T03:00:00.001Z')], [b.id, new Date('2026-11-27T03:00:00.002Z')]]);
    const n = await new RowsUpdate(db.ds, InboundPayloadEntity).run(db.ds.manager, [a.id, b.id], { perRow: { nextAttemptAt: at, receivedAt: at }, where: { tenantId: 't-ru' } });
    expect(n).toBe(1);
    const rows = await repo().find({ where: { id: In([a.id, b.id]) } });
    expect(rows.find((r) => r.id === a.id)).toMatchObject({ nextAttemptAt: at.get(a.id), receivedAt: at.get(a.id) });
    expect(rows.find((r) => r.id === b.id)).toMatchObject({ nextAttemptAt: null, receivedAt: b.receivedAt });
  });

  it('runs in the transaction of the manager it is given: a rollback undoes it', async () => {
    const a = payload();
    await repo().insert(a);
    const update = new RowsUpdate(db.ds, InboundPayloadEntity);
    const out = await db.ds.transaction(async (m) => {
      expect(await update.run(m, [a.id], { same: { status: P.FAILED } })).toBe(1);
      expect((await m.findOneByOrFail(InboundPayloadEntity, { id: a.id })).status).toBe(P.FAILED);
      throw new Error('roll back');
    }).catch((e: Error) => e.message);
    expect(out).toBe('roll back');
    expect((await repo().findOneByOrFail({ id: a.id })).status).toBe(P.PROCESSING);
  });

  it('does nothing for no rows, and names a property that is not a column', async () => {
    const update = new RowsUpdate(db.ds, InboundPayloadEntity);
    await expect(update.run(db.ds.manager, [], { same: { status: P.FAILED } })).resolves.toBe(0);
    await expect(update.run(db.ds.manager, ['x'], { same: { nope: 1 } as never })).rejects.toThrow('no column for property nope');
  });
});
