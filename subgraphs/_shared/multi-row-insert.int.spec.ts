import { In } from 'typeorm';
import { conversationsDatabase, onBothEngines } from '../../test/helpers/engines.js';
import { capturedLogger } from '../../test/helpers/log-capture.js';
import { MessageEntity, MessageSenderType } from '../conversations/message/message.entity.js';
import { isUniqueViolation } from './db-errors.js';
import { newId } from './ids.js';
import { MultiRowInsert } from './multi-row-insert.js';

const message = (over: Partial<MessageEntity>): MessageEntity => Object.assign(new MessageEntity(), {
  id: newId(), tenantId: 't-mri', conversationId: 'c-mri', customerId: 'u-mri', channelType: 'wechat-oa', senderType: MessageSenderType.CUSTOMER,
  senderId: null, kind: 'text', text: '', payload: null, attachments: null, internal: false, createdAt: new Date(), ...over,
});

// Every kind of value a message row holds, written by hand and by typeorm: the rows read back the same.
describe.each(onBothEngines('multi_row_insert'))('MultiRowInsert on %s', (_engine, url) => {
  const db = conversationsDatabase(url);

  const shapes: Array<Partial<MessageEntity>> = [
    { text: "大米生虫了怎么办？ it's \\ a 'quote' \"and\" %_ 😀", createdAt: new Date('2026-11-26T08:15:30.123Z') },
    { senderType: MessageSenderType.AGENT, senderId: 'agent-1', kind: 'image', text: '', internal: true, payload: { mediaId: 'm-1', nested: { n: 1, ok: true, list: ['a', null] } }, attachments: [{ kind: 'image', mediaRef: 'm-1', name: null, size: 12, mime: 'image/png' }], createdAt: new Date('2026-01-01T00:00:00.001Z') },
  ];

  it('writes rows that read back exactly as typeorm\'s insert writes them', async () => {
    const byTypeorm = shapes.map((s) => message(s));
    const byHand = shapes.map((s) => message(s));
    await db.ds.getRepository(MessageEntity).insert(byTypeorm);
    await new MultiRowInsert(db.ds, MessageEntity).run(db.ds.manager, byHand);
    const read = async (rows: MessageEntity[]) => {
      const found = await db.ds.getRepository(MessageEntity).find({ where: { id: In(rows.map((r) => r.id)) } });
      return rows.map((r) => { const { id: _id, ...rest } = found.find((f) => f.id === r.id)!; return rest; });
    };
    const [a, b] = [await read(byTypeorm), await read(byHand)];
    expect(b).toEqual(a);
    expect(b[0]).toMatchObject({ text: shapes[0].text, internal: false, createdAt: shapes[0].createdAt, payload: null });
    expect(b[1]).toMatchObject({ internal: true, payload: shapes[1].payload, attachments: shapes[1].attachments });
  });

  it('a row whose key exists fails the statement as a unique violation (the caller falls back to one by one)', async () => {
    const row = message({ text: 'once' });
    const insert = new MultiRowInsert(db.ds, MessageEntity);
    await insert.run(db.ds.manager, [row]);
    const err = await insert.run(db.ds.manager, [message({ text: 'other' }), row]).then(() => null, (e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
  });

  it('runs in the transaction of the manager it is given: a rollback takes its rows away', async () => {
    const insert = new MultiRowInsert(db.ds, MessageEntity);
    const kept = message({ text: 'committed' });
    const undone = message({ text: 'rolled back' });
    await db.ds.transaction((m) => insert.run(m, [kept]));
    const rollback = await db.ds.transaction(async (m) => {
      await insert.run(m, [undone]);
      expect(await m.count(MessageEntity, { where: { id: undone.id } })).toBe(1);
      throw new Error('roll back');
    }).catch((e: Error) => e.message);
    expect(rollback).toBe('roll back');
    const found = await db.ds.getRepository(MessageEntity).find({ where: { id: In([kept.id, undone.id]) } });
    expect(found.map((f) => f.text)).toEqual(['committed']);
  });

  it('writes batches of more sizes than the statements kept per connection (64), concurrently', async () => {
    const insert = new MultiRowInsert(db.ds, MessageEntity);
    const conversationId = newId();
    // Each size is its own prepared statement: 150 sizes one after the other (on one connection, mostly) make mysql2
    // close statements; then all of them again at once, while statements are being closed and prepared.
    const batches = Array.from({ length: 300 }, (_, i) => Array.from({ length: (i % 150) + 1 }, () => message({ conversationId })));
    for (const b of batches.slice(0, 150)) await insert.run(db.ds.manager, b);
    await Promise.all(batches.slice(150).map((b) => insert.run(db.ds.manager, b)));
    expect(await db.ds.getRepository(MessageEntity).count({ where: { conversationId } })).toBe(batches.flat().length);
  });

  if (_engine === 'MariaDB') {
    it('when the server allows no more prepared statements, goes by the text protocol, says so once, and loses nothing', async () => {
      const { log: warnings, lines } = capturedLogger();
      const insert = new MultiRowInsert(db.ds, MessageEntity, { log: warnings });
      const [{ limit }] = await db.ds.query('SELECT @@GLOBAL.max_prepared_stmt_count AS `limit`') as Array<{ limit: number | string }>;
      const conversationId = newId();
      // Sizes no earlier test prepared on these connections: each needs a new statement, which the server refuses.
      const batches = [173, 174, 175].map((n) => Array.from({ length: n }, () => message({ conversationId })));
      await db.ds.query('SET GLOBAL max_prepared_stmt_count = 0');
      try {
        await insert.run(db.ds.manager, batches[0]);
        await db.ds.transaction((m) => insert.run(m, batches[1]));
        await insert.run(db.ds.manager, batches[2]);
      } finally {
        await db.ds.query('SET GLOBAL max_prepared_stmt_count = ?', [Number(limit)]);
      }
      expect(await db.ds.getRepository(MessageEntity).count({ where: { conversationId } })).toBe(173 + 174 + 175);
      expect(lines).toHaveLength(1);
      expect(String(lines[0].msg)).toContain('max_prepared_stmt_count');
    });
  }
});
