import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../subgraphs/_shared/logger.js';

/** A real pino logger whose lines (parsed JSON) land in `lines`, for tests that check what an operator is told. */
export function capturedLogger(level = 'warn'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  return { log: pino({ level }, sink), lines };
}
