import type { Logger } from './logger.js';

/**
 * SIGTERM/SIGINT: stop taking work, drain, exit. Needed because the Hive runtime's own handler only
 * disposes the gateway and never exits the process.
 *
 * A rejected promise nobody awaited (a partner plugin's timer, a fire-and-forget call) is logged and the process
 * keeps running: by default Node exits on it, which would take every channel and tenant down for one stray
 * promise. A thrown exception outside any promise still ends the process, as Node advises (its state is unknown).
 */
export function installShutdown(log: Logger, drain: () => Promise<void>, timeoutMs = 10_000): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    const force = setTimeout(() => {
      log.warn('drain timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    drain()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, 'drain failed');
        process.exit(1);
      });
  };
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled promise rejection; kept running'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
