import { createMemoryPubSub } from '../../_shared/pubsub.js';
import { liveRows, type LiveEvent } from './live.stream.js';

describe('liveRows', () => {
  it("yields only the tenant's accepted events, reloaded, and skips rows that are gone", async () => {
    const ps = createMemoryPubSub();
    const reloaded: string[] = [];
    const rows = liveRows(ps, 't', 'A', (e) => e.conversationId === 'c1', async (e: LiveEvent) => {
      reloaded.push(e.id);
      return e.id === 'gone' ? null : { row: e.id };
    });
    const next = rows.next(); // subscribes
    await new Promise((r) => setImmediate(r));
    await ps.publish('t', { id: 'other-tenant', tenantId: 'B', conversationId: 'c1' });
    await ps.publish('t', { id: 'other-conversation', tenantId: 'A', conversationId: 'c2' });
    await ps.publish('t', { id: 'gone', tenantId: 'A', conversationId: 'c1' });
    await ps.publish('t', { id: 'm1', tenantId: 'A', conversationId: 'c1' });
    expect(await next).toEqual({ done: false, value: { row: 'm1' } });
    expect(reloaded).toEqual(['gone', 'm1']); // other tenants' ids never even reach the database
  });

  it('ends a pending next() when the client unsubscribes', async () => {
    const ps = createMemoryPubSub();
    const rows = liveRows(ps, 't', 'A', () => true, async () => ({}));
    const pending = rows.next();
    await new Promise((r) => setImmediate(r));
    await rows.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
