import { cacheExpiry } from './identity.client.js';

describe('identity cache expiry', () => {
  it('spreads expiries over ±25 % of the TTL, so senders cached together are not resolved again together', () => {
    const now = 1_000_000;
    expect(cacheExpiry(now, 60_000, 0)).toBe(now + 45_000);
    expect(cacheExpiry(now, 60_000, 0.5)).toBe(now + 60_000);
    expect(cacheExpiry(now, 60_000, 0.999999)).toBe(now + 75_000);
    const expiries = Array.from({ length: 500 }, () => cacheExpiry(now, 60_000));
    expect(Math.min(...expiries)).toBeGreaterThanOrEqual(now + 45_000);
    expect(Math.max(...expiries)).toBeLessThanOrEqual(now + 75_000);
    // 500 senders cached in the same instant come due over many seconds, not one.
    expect(new Set(expiries.map((t) => Math.floor(t / 1000))).size).toBeGreaterThan(20);
  });
});
