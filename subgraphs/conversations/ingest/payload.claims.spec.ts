import type { DataSource } from 'typeorm';
import { openDataSource } from '../../_shared/data-source.js';
import { newId } from '../../_shared/ids.js';
import { conversationsSubgraph } from '../index.js';
import { PayloadClaims } from './payload.claims.js';
import { InboundPayloadEntity, InboundPayloadStatus as P } from './payload.entity.js';

// The embedded mode's database (SQLite answers dates as text): the totals the operator's metrics read.
describe('PayloadClaims.totals on SQLite', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await openDataSource({ url: 'sqlite::memory:', subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations }, true);
  });
  afterAll(() => ds.destroy());

  it('counts every tenant\'s waiting, failed and stuck payloads and the age of the oldest waiting one', async () => {
    const now = new Date('2026-11-26T13:00:00.000Z');
    const row = (tenantId: string, status: P, ageSeconds: number, nextAttemptAt: Date | null = null): InboundPayloadEntity => ({
      id: newId(), tenantId, channelId: newId(), channelType: 'wechat-oa', dedupeKey: newId(), externalMessageId: null, status, event: null,
      request: { method: 'POST', path: '/webhooks/x', query: {}, headers: {}, body: '', receivedAt: now.toISOString() }, attempts: 1, errorCode: null, error: null,
      messageId: null, receivedAt: new Date(now.getTime() - ageSeconds * 1000), nextAttemptAt, lockedUntil: null, processedAt: null, claimedBy: null,
    });
    const claims = new PayloadClaims(ds);
    expect(await claims.totals(now)).toEqual({ pending: 0, failed: 0, waitingForReplay: 0, oldestPendingSeconds: 0 });
    await ds.getRepository(InboundPayloadEntity).insert([
      row('t1', P.PENDING, 30), row('t2', P.PROCESSING, 90), row('t1', P.FAILED, 600), row('t2', P.FAILED, 5, new Date(now.getTime() + 60_000)), row('t1', P.PROCESSED, 3600),
    ]);
    expect(await claims.totals(now)).toEqual({ pending: 2, failed: 2, waitingForReplay: 1, oldestPendingSeconds: 90 });
  });
});
