import { resolve } from 'node:path';
import { BUILTIN_PLUGINS } from './builtins.js';
import { PluginHost } from './plugin-host.js';
import { createMemoryLogger } from './plugin-logger.js';
import { CFG, post, TEXT } from '../../examples/partner-channel-line/line.testing.js';

/** The host loads a partner plugin from a path in its list (the example partner plugin, from its source here). */
describe('example partner plugin loaded from a path', () => {
  it('loads next to the built-ins from a relative path in the plugin list, and works', () => {
    const host = new PluginHost({ plugins: ['builtins', { plugin: './examples/partner-channel-line', config: { apiBaseUrl: 'http://127.0.0.1:9' } }], builtins: BUILTIN_PLUGINS, baseDir: resolve(__dirname, '../..'), logger: createMemoryLogger() });
    const line = host.plugins().find((p) => p.id === 'example-line')!;
    expect(line).toMatchObject({ source: `path:${resolve(__dirname, '../../examples/partner-channel-line')}`, channelTypes: ['line'], health: { status: 'UP' } });
    expect(host.channelTypes()).toEqual(expect.arrayContaining(['line', 'wechat-oa', 'partner-api']));
    const ch = host.bindChannel({ id: 'c1', tenantId: 't1', type: 'line', config: CFG });
    expect(ch.accept(post(TEXT)).events).toHaveLength(1);
  });

});
