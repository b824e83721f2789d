import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationsInitial1764200000000 } from '../../../migrations/conversations/1764200000000-initial.js';
import { ConversationsTimeline1764800000000 } from '../../../migrations/conversations/1764800000000-timeline.js';
import { mysqlUrl } from '../../../test/helpers/env.js';
import { buildDataSource, ensureDatabase } from '../../_shared/data-source.js';

/** Messages written before the timeline migration get their conversation's customer and channel. */
describe.each([
  ['MariaDB', () => mysqlUrl('conversations_backfill')],
  ['SQLite', () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'huiliu-backfill-')), 'c.sqlite')}`],
])('timeline migration backfill on %s', (_db, urlOf) => {
  it('copies customer_id and channel_type onto existing messages, and goes back down', async () => {
    const url = urlOf();
    const flavor = await ensureDatabase(url);
    const open = (migrations: Function[]) => buildDataSource({ url, flavor, subgraph: 'conversations_backfill', entities: [], migrations }); // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    const both = open([ConversationsInitial1764200000000, ConversationsTimeline1764800000000]);
    await both.initialize();
    while ((await both.query(`SELECT 1 FROM ${both.driver.escape('migrations_conversations_backfill')} LIMIT 1`).catch(() => [])).length) await both.undoLastMigration();
    await both.destroy();

    const before = open([ConversationsInitial1764200000000]);
    await before.initialize();
    await before.runMigrations();
    const at = '2025-11-20 02:00:00.000';
    await before.query(
      `INSERT INTO conversations (id, tenant_id, customer_id, channel_id, channel_type, subject, status, assignee_id, group_id, first_response_at, last_message_at, created_at, updated_at)
       VALUES ('c1', 't', 'cust-1', NULL, 'taobao', 's', 'QUEUED', NULL, NULL, NULL, '${at}', '${at}', '${at}'),
              ('c2', 't', 'cust-2', NULL, 'phone', 's', 'QUEUED', NULL, NULL, NULL, '${at}', '${at}', '${at}')`,
    );
    await before.query(
      `INSERT INTO messages (id, tenant_id, conversation_id, sender_type, sender_id, kind, text, payload, internal, created_at)
       VALUES ('m1', 't', 'c1', 'CUSTOMER', NULL, 'text', '一', NULL, 0, '${at}'), ('m2', 't', 'c2', 'CUSTOMER', NULL, 'text', '二', NULL, 0, '${at}'),
              ('m3', 't', 'c1', 'AGENT', 'a', 'text', '三', NULL, 0, '${at}')`,
    );
    await before.destroy();

    const after = open([ConversationsInitial1764200000000, ConversationsTimeline1764800000000]);
    await after.initialize();
    try {
      expect((await after.runMigrations()).map((m) => m.name)).toEqual(['ConversationsTimeline1764800000000']);
      const rows = await after.query(`SELECT id, customer_id, channel_type, attachments FROM messages ORDER BY id`);
      expect(rows).toEqual([
        { id: 'm1', customer_id: 'cust-1', channel_type: 'taobao', attachments: null },
        { id: 'm2', customer_id: 'cust-2', channel_type: 'phone', attachments: null },
        { id: 'm3', customer_id: 'cust-1', channel_type: 'taobao', attachments: null },
      ]);
      await after.undoLastMigration();
      expect((await after.query(`SELECT * FROM messages WHERE id = 'm1'`))[0]).not.toHaveProperty('customer_id');
      await after.undoLastMigration();
    } finally {
      await after.destroy();
    }
  });
});
