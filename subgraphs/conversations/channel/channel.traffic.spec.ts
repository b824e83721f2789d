import { createMemoryCache } from '../../_shared/cache.js';
import { createLogger } from '../../_shared/logger.js';
import { ChannelTraffic } from './channel.traffic.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('ChannelTraffic', () => {
  it('records the last accepted webhook at most every 10 s and the last refusal at most every second, per channel', async () => {
    let now = Date.parse('2026-11-26T02:00:00.000Z');
    const cache = createMemoryCache({ now: () => now });
    const set = jest.spyOn(cache, 'set');
    const traffic = new ChannelTraffic(cache, createLogger('test', 'silent'), () => now);
    expect(await traffic.of(['a', 'b'])).toEqual([{ lastAcceptedAt: null, lastRefusal: null }, { lastAcceptedAt: null, lastRefusal: null }]);

    traffic.accepted('a');
    now += 9_000;
    traffic.accepted('a'); // within 10 s: not written
    traffic.refused('a', { status: 401, code: 'AUTH', reason: 'msg_signature mismatch' });
    traffic.refused('a', { status: 400, code: 'BAD_REQUEST', reason: 'within the second: not written' });
    await settle();
    expect(set).toHaveBeenCalledTimes(2);
    expect(await traffic.of(['a', 'b'])).toEqual([
      { lastAcceptedAt: new Date('2026-11-26T02:00:00.000Z'), lastRefusal: { at: new Date('2026-11-26T02:00:09.000Z'), status: 401, code: 'AUTH', reason: 'msg_signature mismatch' } },
      { lastAcceptedAt: null, lastRefusal: null },
    ]);

    now += 1_000;
    traffic.accepted('a');
    traffic.refused('a', { status: 403, code: 'CHANNEL_DISABLED', reason: 'channel disabled' });
    await settle();
    const [a] = await traffic.of(['a']);
    expect(a.lastAcceptedAt).toEqual(new Date('2026-11-26T02:00:10.000Z'));
    expect(a.lastRefusal).toMatchObject({ status: 403, code: 'CHANNEL_DISABLED' });
  });
});
