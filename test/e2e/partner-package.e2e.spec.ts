import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.js';

/**
 * A partner writes a channel plugin in a repository of its own: it installs Huiliu (here: a link to this built
 * checkout, as `npm install ../huiliu` makes), imports only `huiliu/plugin-sdk` and `huiliu/plugin-sdk/testing`
 * (package.json "exports"), type-checks against the SDK's declarations, runs the testing kit, and the host loads
 * the compiled plugin from its path. Real processes: tsc and node in the partner's directory.
 */
const PLUGIN = `
import { DEFAULT_CAPABILITIES, SDK_API_VERSION, badRequest, defineChannel, definePlugin, jsonResponse, secret, verifySignedPayload, z, type InboundEvent } from 'huiliu/plugin-sdk';

const channelConfig = z.object({ secret: secret(z.string().min(16)) });

export default definePlugin({
  manifest: { id: 'acme-kiosk', kind: 'channel', version: '0.1.0', apiVersion: SDK_API_VERSION, capabilities: [] },
  configSchema: z.object({}),
  register(host) {
    host.channels.register(defineChannel({
      type: 'acme-kiosk',
      displayName: 'ACME kiosk',
      capabilities: { ...DEFAULT_CAPABILITIES, outbound: false },
      configSchema: channelConfig,
      verify: (req, c) => verifySignedPayload(req, c.secret, { toleranceSeconds: 300 }),
      parse(req): InboundEvent[] {
        const body = JSON.parse(req.rawBody.toString('utf8')) as { id?: string; user?: string; text?: string };
        if (!body.id || !body.user || !body.text) throw badRequest('id, user and text are required');
        return [{ channelType: 'acme-kiosk', dedupeKey: body.id, externalMessageId: body.id, sender: { channelType: 'acme-kiosk', externalId: body.user }, origin: 'customer', content: { kind: 'text', text: body.text }, sentAt: req.receivedAt, receivedAt: req.receivedAt }];
      },
      respond: (_req, events) => jsonResponse({ received: events.length }),
      send: async () => { throw badRequest('kiosks do not receive messages'); },
    }));
  },
});
`;

const CHECK = `
const assert = require('node:assert');
const { createTestHost } = require('huiliu/plugin-sdk/testing');
const { signPayload } = require('huiliu/plugin-sdk');
const plugin = require('./dist/index.js').default;
const t = createTestHost(plugin);
const ch = t.host.bindChannel({ id: 'k1', tenantId: 't', type: 'acme-kiosk', config: { secret: 'kiosk-secret-0123456789' } });
const body = JSON.stringify({ id: 'm-1', user: 'visitor-9', text: '买两袋五常大米' });
const ts = Math.floor(t.clock.now() / 1000);
const req = { method: 'POST', path: '/webhooks/k1', query: {}, headers: { 'x-huiliu-timestamp': String(ts), 'x-huiliu-signature': signPayload('kiosk-secret-0123456789', ts, body) }, rawBody: Buffer.from(body), receivedAt: new Date(t.clock.now()) };
const { events, response } = ch.accept(req);
assert.deepStrictEqual(events.map((e) => e.content), [{ kind: 'text', text: '买两袋五常大米' }]);
assert.strictEqual(response.body, '{"received":1}');
assert.throws(() => ch.accept({ ...req, headers: { ...req.headers, 'x-huiliu-signature': 'forged' } }), (e) => e.code === 'AUTH');
const { loadPlugins } = require(process.argv[2] + '/dist/plugins/host/loader.js');
const loaded = loadPlugins([{ plugin: __dirname + '/dist/index.js' }], { builtins: {} });
console.log(JSON.stringify(loaded.map((p) => [p.manifest.id, p.channels.map((c) => c.type)])));
`;

describe('a channel plugin in a partner\'s own repository, against the huiliu package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'huiliu-partner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('type-checks against huiliu/plugin-sdk, passes the testing kit, and is loaded by the host from its path', () => {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'huiliu'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'acme-kiosk-channel', version: '0.1.0', private: true }));
    writeFileSync(join(dir, 'index.ts'), PLUGIN);
    writeFileSync(join(dir, 'check.js'), CHECK);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // The partner's own compiler settings: strict, Node's module resolution (which honours "exports").
    execFileSync(process.execPath, [tsc, '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022', '--skipLibCheck', '--outDir', 'dist', 'index.ts'], { cwd: dir, stdio: 'pipe' });
    const out = execFileSync(process.execPath, ['check.js', ROOT], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual([['acme-kiosk', ['acme-kiosk']]]);

    // Only the SDK is exported: the host's internals are not part of the contract.
    const deep = `try { require('huiliu/dist/plugins/host/loader.js'); console.log('reachable'); } catch (e) { console.log(e.code); }`;
    expect(execFileSync(process.execPath, ['-e', deep], { cwd: dir, encoding: 'utf8' }).trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
