import { z } from 'zod';

/** What a secret is replaced with when a config leaves the host (API answers, logs). */
export const REDACTED = '[redacted]';

type AnySchema = z.ZodType;
type Path = Array<string | '*'>;

/**
 * Marks a config field as secret: never logged, redacted when an API returns the config.
 * `secret()` is a non-empty string; pass a schema to mark another one (`secret(z.string().length(43))`).
 * The mark is zod metadata, so it survives `.optional()`, `.describe()` and `.default()`.
 */
export function secret<T extends AnySchema = z.ZodString>(schema?: T): T {
  return ((schema ?? z.string().min(1)) as AnySchema).meta({ secret: true }) as T;
}

/** Read through the schema's own zod copy, so plugins that bundle another zod still work. */
export function isSecretSchema(schema: unknown): boolean {
  const s = schema as { meta?: () => Record<string, unknown> | undefined };
  try {
    return typeof s?.meta === 'function' && s.meta()?.secret === true;
  } catch {
    return false;
  }
}

interface Def { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown>; element?: unknown; options?: unknown[] }
const defOf = (s: unknown): Def => ((s as { _zod?: { def?: Def } })?._zod?.def ?? {}) as Def;

/** Every path of a secret field in a config schema (`'*'` stands for an array index). */
export function secretPaths(schema: unknown): Path[] {
  const out: Path[] = [];
  const walk = (s: unknown, path: Path, depth: number) => {
    if (!s || depth > 20) return;
    if (isSecretSchema(s)) { out.push(path); return; }
    const def = defOf(s);
    if (def.innerType) return walk(def.innerType, path, depth + 1);
    if (def.type === 'pipe' && def.in) return walk(def.in, path, depth + 1);
    if (def.type === 'object' && def.shape) {
      for (const [k, v] of Object.entries(def.shape)) walk(v, [...path, k], depth + 1);
      return;
    }
    if (def.type === 'array' && def.element) return walk(def.element, [...path, '*'], depth + 1);
    if (def.type === 'union' && Array.isArray(def.options)) for (const o of def.options) walk(o, path, depth + 1);
  };
  walk(schema, [], 0);
  // a union may list a path twice
  const seen = new Set<string>();
  return out.filter((p) => (seen.has(p.join('\0')) ? false : (seen.add(p.join('\0')), true)));
}

function mapAtPath(value: unknown, path: Path, fn: (v: unknown) => unknown): unknown {
  if (path.length === 0) return fn(value);
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(value) ? value.map((v) => mapAtPath(v, rest, fn)) : value;
  if (Array.isArray(value) || !(head in (value as object))) return value;
  return { ...(value as object), [head]: mapAtPath((value as Record<string, unknown>)[head], rest, fn) };
}

function valuesAtPath(value: unknown, path: Path, out: unknown[]) {
  if (path.length === 0) { out.push(value); return; }
  if (value === null || typeof value !== 'object') return;
  const [head, ...rest] = path;
  if (head === '*') { if (Array.isArray(value)) for (const v of value) valuesAtPath(v, rest, out); return; }
  valuesAtPath((value as Record<string, unknown>)[head], rest, out);
}

/** A copy of `config` with every secret that is set replaced by REDACTED (safe to return from an API). */
export function redactConfig<T>(schema: unknown, config: T): T {
  let out: unknown = config;
  for (const p of secretPaths(schema)) out = mapAtPath(out, p, (v) => (v === undefined || v === null || v === '' ? v : REDACTED));
  return out as T;
}

/** The secret values present in `config`, for scrubbing them from log lines. */
export function secretValues(schema: unknown, config: unknown): string[] {
  const vals: unknown[] = [];
  for (const p of secretPaths(schema)) valuesAtPath(config, p, vals);
  return vals.flatMap((v) => (typeof v === 'string' ? [v] : typeof v === 'number' ? [String(v)] : v && typeof v === 'object' ? [JSON.stringify(v)] : []))
    .filter((v) => v.length >= 4);
}

/**
 * An update that echoes REDACTED for a secret keeps the stored value: an admin can edit a channel's name
 * or base URL from the config an API returned without re-typing every secret.
 */
export function mergeRedacted<T>(schema: unknown, previous: unknown, incoming: T): T {
  let out: unknown = incoming;
  for (const p of secretPaths(schema)) {
    if (p.includes('*')) continue; // array items cannot be matched reliably; they must be re-sent
    const prev: unknown[] = [];
    valuesAtPath(previous, p, prev);
    out = mapAtPath(out, p, (v) => (v === REDACTED ? prev[0] : v));
  }
  return out as T;
}

export interface ConfigIssue { path: string; message: string }

/** zod issues without the offending values (a wrong secret must not end up in a boot error or an API answer). */
export function configIssues(error: unknown): ConfigIssue[] {
  const issues = (error as { issues?: Array<{ path?: PropertyKey[]; message?: string }> })?.issues ?? [];
  return issues.map((i) => ({ path: (i.path ?? []).map(String).join('.') || '(root)', message: String(i.message ?? 'invalid') }));
}

export const formatIssues = (issues: ConfigIssue[]) => issues.map((i) => `${i.path}: ${i.message}`).join('; ');
