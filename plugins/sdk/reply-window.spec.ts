import { FakeClock } from '../host/clock.js';
import { MemoryKeyValueStore } from '../host/kv.memory.js';
import { ReplyWindow } from './reply-window.js';

describe('reply window', () => {
  it('lets exactly maxMessages concurrent sends through', async () => {
    const clock = new FakeClock();
    const w = new ReplyWindow(new MemoryKeyValueStore(clock), clock, { hours: 48, maxMessages: 5 });
    await w.open('u', clock.now());
    const results = await Promise.allSettled(Array.from({ length: 9 }, () => w.reserve('u')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'WINDOW_CLOSED')).toBe(true);
    expect(await w.status('u')).toMatchObject({ open: false, used: 5, max: 5 });
  });

  it('gives a released reservation back, and a shorter event window never shortens an open message window', async () => {
    const clock = new FakeClock();
    const w = new ReplyWindow(new MemoryKeyValueStore(clock), clock, { hours: 48, maxMessages: 1 });
    await w.open('u', clock.now());
    const slot = await w.reserve('u');
    await slot.release();
    await slot.release(); // idempotent
    await (await w.reserve('u')).release();
    await w.open('u', clock.now() + 1000, { hours: 1 / 60, maxMessages: 3 });
    expect(await w.status('u')).toMatchObject({ max: 1, closesAt: clock.now() + 48 * 3_600_000 });
  });
});
