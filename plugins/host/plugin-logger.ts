import type { PluginLogger } from '../sdk/context.js';

/** The subset of pino the host needs. */
export interface BaseLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): BaseLogger;
}

const MASK = '[redacted]';

/** `s` with every secret value in `list` replaced (error texts shown to admins: health, payload and delivery errors). */
export function scrubSecrets(s: string, list: readonly string[]): string {
  let out = s;
  for (const x of list) if (x && out.includes(x)) out = out.split(x).join(MASK);
  return out;
}

/**
 * A plugin's logger: pino child tagged with the plugin (and channel), which replaces every secret value
 * from the plugin's and the channel's config wherever it appears (field, message, error), so a plugin
 * that logs a URL with its app secret or a whole config cannot leak it.
 */
export function createPluginLogger(base: BaseLogger, bindings: Record<string, unknown>, secrets: () => string[]): PluginLogger {
  const child = base.child(bindings);
  const scrubString = scrubSecrets;
  const scrub = (v: unknown, list: string[], depth = 0): unknown => {
    if (typeof v === 'string') return scrubString(v, list);
    if (depth > 8 || v === null || typeof v !== 'object') return v;
    if (v instanceof Error) {
      return { type: v.name, message: scrubString(v.message, list), ...(typeof (v as { code?: unknown }).code === 'string' ? { code: (v as { code?: string }).code } : {}), stack: v.stack ? scrubString(v.stack, list) : undefined };
    }
    if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
    if (v instanceof Date) return v;
    if (Array.isArray(v)) return v.map((x) => scrub(x, list, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = scrub(x, list, depth + 1);
    return out;
  };
  const level = (fn: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string) => {
    const list = secrets();
    if (typeof obj === 'string') child[fn](scrubString(obj, list));
    else child[fn](scrub(obj, list), msg === undefined ? undefined : scrubString(msg, list));
  };
  return {
    debug: level('debug'),
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    child: (b) => createPluginLogger(child, b, secrets),
  };
}

/** A logger that keeps lines in memory (tests, the conformance suite's leak check). */
export function createMemoryLogger(): BaseLogger & { lines: Array<{ level: string; bindings: Record<string, unknown>; obj: unknown; msg?: string }> } {
  const lines: Array<{ level: string; bindings: Record<string, unknown>; obj: unknown; msg?: string }> = [];
  const make = (bindings: Record<string, unknown>): BaseLogger => {
    const at = (level: string) => (obj: unknown, msg?: string) => { lines.push({ level, bindings, obj, msg }); };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return Object.assign(make({}), { lines });
}
