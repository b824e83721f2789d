import { newId, orderedStableId, stableId } from './ids.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ids', () => {
  it('newId: UUIDv7, in creation order, each different', () => {
    const ids = Array.from({ length: 1000 }, () => newId());
    for (const id of ids) expect(id).toMatch(UUID);
    expect(ids[0][14]).toBe('7');
    expect([...ids].sort()).toEqual(ids); // same millisecond too: the library keeps them monotonic
    expect(new Set(ids).size).toBe(ids.length);
    // the first 48 bits are the time
    const ms = parseInt(ids[0].replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(5000);
  });

  it('orderedStableId: the same name and time give the same id; later times sort later', () => {
    const at = new Date('2026-11-26T14:00:00.123Z');
    const a = orderedStableId(at, 'inbound:ch:msg:1');
    expect(a).toMatch(UUID);
    expect(a[14]).toBe('8');
    expect(orderedStableId(new Date(at), 'inbound:ch:msg:1')).toBe(a);
    expect(orderedStableId(at, 'inbound:ch:msg:2')).not.toBe(a);
    expect(parseInt(a.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
    expect(orderedStableId(new Date(at.getTime() + 1), 'inbound:ch:msg:0') > a).toBe(true);
    // a missing or absurd time still gives a valid, stable id
    expect(orderedStableId(new Date(NaN), 'x')).toBe(orderedStableId(new Date(NaN), 'x'));
    expect(orderedStableId(new Date(NaN), 'x')).toMatch(UUID);
    expect(orderedStableId(new Date(-5), 'x')).toMatch(UUID);
  });

  it('stableId is unchanged (seeded demo ids must not move)', () => {
    expect(stableId('demo:customer:c1')).toBe('dae27abe-f393-5f1d-aa3a-8f9d9580f1ef');
  });
});
