import { ChannelError } from '../sdk/errors.js';
import { backoffDelay, isRetryable, withRetry } from './retry.js';

describe('retry with backoff', () => {
  it('doubles the delay up to the cap, with full jitter by default', () => {
    const none = { jitter: 'none' as const, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, none))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(1, { jitter: 'none', baseMs: 100 }, new ChannelError('RATE_LIMITED', 'x', { retryAfterMs: 5000 }))).toBe(5000);
    expect(backoffDelay(1, { jitter: 'none', baseMs: 100 }, new ChannelError('RATE_LIMITED', 'x', { retryAfterMs: 50 }))).toBe(100);
  });

  it('retries retryable ChannelErrors only, up to the limit, and rethrows the last one', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => { sleeps.push(ms); };
    let calls = 0;
    await expect(withRetry(async () => { calls++; if (calls < 3) throw new ChannelError('UNAVAILABLE', 'down'); return 'ok'; }, { sleep, jitter: 'none', baseMs: 10 })).resolves.toBe('ok');
    expect(sleeps).toEqual([10, 20]);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new ChannelError('RATE_LIMITED', 'slow', { retryAfterMs: 30 }); }, { sleep, retries: 2, jitter: 'none', baseMs: 10 })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new ChannelError('INVALID_RECIPIENT', 'gone'); }, { sleep })).rejects.toMatchObject({ code: 'INVALID_RECIPIENT' });
    expect(calls).toBe(1);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable(new ChannelError('UNAVAILABLE', 'x', { retryable: false }))).toBe(false);
  });
});
