import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKeyValueStore } from '../../../plugins/host/kv.contract.js';
import { systemClock } from '../../../plugins/host/index.js';
import { openDataSource } from '../../_shared/data-source.js';
import { createLogger } from '../../_shared/logger.js';
import { conversationsDatabase, onBothEngines } from '../../../test/helpers/engines.js';
import { conversationsSubgraph } from '../index.js';
import { PersistentKeyValueStore } from './plugin-state.store.js';

const log = createLogger('test-plugin-state', 'silent');

// The same contract as the in-memory and Redis stores: plugins cannot tell them apart.
for (const [engine, url] of onBothEngines('plugin_state')) {
  describe(`plugin state on ${engine}`, () => {
    const db = conversationsDatabase(url);
    describeKeyValueStore(`persistent (${engine})`, async () => ({ kv: new PersistentKeyValueStore(db.ds, log, systemClock), expire: (ms) => new Promise((r) => setTimeout(r, ms)) }));
  });
}

describe('plugin state survives a restart (the embedded mode\'s SQLite file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'huiliu-plugin-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const open = () => openDataSource({ url: `sqlite:${join(dir, 'conversations.sqlite')}`, subgraph: 'conversations', entities: conversationsSubgraph.entities, migrations: conversationsSubgraph.migrations }, true);

  it('a new process finds cursors, counters (with their expiry) and deletions as the last one left them', async () => {
    const ds1 = await open();
    const before = new PersistentKeyValueStore(ds1, log, systemClock);
    await before.load();
    await before.set('plugin:channel-wecom-kf:ch:c1:cursor', '4gw7MepFLfgF2VC5npN');
    await before.set('token', 'ACCESS_TOKEN', { ttlMs: 60_000 });
    await before.set('short', 'gone soon', { ttlMs: 50 });
    await before.increment('window:oUser', 1, { ttlMs: 60_000 });
    await before.increment('window:oUser', 1);
    await before.set('deleted', 'x');
    await before.delete('deleted');
    await before.flushed();
    await ds1.destroy();
    await new Promise((r) => setTimeout(r, 100));

    const ds2 = await open();
    const after = new PersistentKeyValueStore(ds2, log, systemClock);
    expect(await after.load()).toBe(3);
    expect(await after.get('plugin:channel-wecom-kf:ch:c1:cursor')).toBe('4gw7MepFLfgF2VC5npN');
    expect(await after.get('token')).toBe('ACCESS_TOKEN');
    expect(await after.get('window:oUser')).toBe('2');
    expect(await after.get('short')).toBeNull();
    expect(await after.get('deleted')).toBeNull();
    expect(await after.increment('window:oUser')).toBe(3);
    await after.flushed();
    await ds2.destroy();
  });
});
