import { ReadBatcher } from './routing.batcher.js';

/** A read that stays pending until the test releases it, recording what each round trip asked for. */
function controlledRead() {
  const calls: Array<{ group: string; keys: string[]; finish: (err?: Error) => void }> = [];
  const read = (group: string, keys: string[]) =>
    new Promise<Map<string, string>>((resolve, reject) => {
      calls.push({ group, keys, finish: (err) => (err ? reject(err) : resolve(new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, `${group}:${k}`])))) });
    });
  return { calls, read };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ReadBatcher', () => {
  it('sends the keys asked for in one tick as one read, per group', async () => {
    const { calls, read } = controlledRead();
    const b = new ReadBatcher(read, 2);
    const got = Promise.all([b.load('t1', 'a'), b.load('t1', 'b'), b.load('t1', 'a'), b.load('t1', 'missing-1')]);
    await tick();
    expect(calls.map((c) => [c.group, c.keys])).toEqual([['t1', ['a', 'b', 'missing-1']]]);
    calls[0].finish();
    // Two asks for the same key share the answer; a key the read did not find is null.
    expect(await got).toEqual(['t1:a', 't1:b', 't1:a', null]);
  });

  it('goes out at once while under maxInFlight, then groups what queues behind the reads in flight', async () => {
    const { calls, read } = controlledRead();
    const b = new ReadBatcher(read, 2);
    const first = b.load('t1', 'a');
    await tick();
    const second = b.load('t2', 'b');
    await tick();
    expect(calls).toHaveLength(2); // nothing waited while a slot was free
    const queued = [b.load('t1', 'c'), b.load('t1', 'd'), b.load('t2', 'e')];
    await tick();
    expect(calls).toHaveLength(2); // both slots busy: these wait
    calls[0].finish();
    await tick();
    // The freed slot takes one group's keys together; the other group follows when a slot frees again.
    expect(calls.slice(2).map((c) => [c.group, c.keys])).toEqual([['t1', ['c', 'd']]]);
    calls[1].finish();
    await tick();
    expect(calls.slice(3).map((c) => [c.group, c.keys])).toEqual([['t2', ['e']]]);
    calls[2].finish();
    calls[3].finish();
    expect(await Promise.all([first, second, ...queued])).toEqual(['t1:a', 't2:b', 't1:c', 't1:d', 't2:e']);
  });

  it('splits long key lists at maxBatch and rejects every waiter of a failed read', async () => {
    const { calls, read } = controlledRead();
    const b = new ReadBatcher(read, 1, 2);
    const got = ['a', 'b', 'c'].map((k) => b.load('t', k).then((v) => v, (e: Error) => `failed: ${e.message}`));
    await tick();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b']]);
    calls[0].finish(new Error('connection lost'));
    await tick();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b'], ['c']]);
    calls[1].finish();
    expect(await Promise.all(got)).toEqual(['failed: connection lost', 'failed: connection lost', 't:c']);
  });
});
