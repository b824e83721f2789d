import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.js';

// What every deployable's composition root installs (installShutdown), in a real Node process: a promise rejected
// with nobody awaiting it (a partner plugin's timer) is logged and the process keeps serving; Node's default
// would end it, and every channel of every tenant with it.
describe('process guards', () => {
  const run = (script: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.once('exit', (code) => resolve({ code, out }));
  });
  const shared = (file: string) => JSON.stringify(join(ROOT, 'dist/subgraphs/_shared', file));

  it('logs a stray rejection and keeps running', async () => {
    const { code, out } = await run(`
      const { installShutdown } = require(${shared('shutdown.js')});
      const { createLogger } = require(${shared('logger.js')});
      installShutdown(createLogger('guard-test', 'info'), async () => undefined);
      setTimeout(() => Promise.reject(new Error('stray plugin timer failure')), 10);
      setTimeout(() => { process.stdout.write('still alive\\n'); process.exit(0); }, 300);
    `);
    expect(code).toBe(0);
    expect(out).toContain('still alive');
    expect(out).toMatch(/unhandled promise rejection; kept running/);
    expect(out).toContain('stray plugin timer failure');
  });
});
