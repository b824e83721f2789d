/**
 * Reply templates: `{{customer.name}}` is a variable, `{{customer.name | 亲}}` one with a fallback. Names are
 * dotted identifiers; values come from a nested object ({ customer: { name } }) or a flat one ({ "customer.name" }).
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

interface Placeholder {
  raw: string;
  name: string;
  fallback: string | null;
}

function parsePlaceholder(raw: string, inner: string): Placeholder {
  const bar = inner.indexOf('|');
  const name = (bar === -1 ? inner : inner.slice(0, bar)).trim();
  const fallback = bar === -1 ? null : inner.slice(bar + 1).trim();
  return { raw, name, fallback };
}

/** The variables a template uses, in order of first use, or the problems that make it unusable. */
export function parseTemplate(body: string): { variables: string[]; errors: string[] } {
  const variables: string[] = [];
  const errors: string[] = [];
  for (const m of body.matchAll(PLACEHOLDER)) {
    const p = parsePlaceholder(m[0], m[1]);
    if (!NAME.test(p.name)) errors.push(`"${m[0]}" is not a variable: use {{name}} or {{name.part}} with letters, digits and _`);
    else if (!variables.includes(p.name)) variables.push(p.name);
  }
  const rest = body.replace(PLACEHOLDER, '');
  if (rest.includes('{{') || rest.includes('}}')) errors.push('unbalanced {{ or }}');
  return { variables, errors };
}

function lookup(vars: Record<string, unknown>, name: string): string | null {
  let v: unknown = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
  if (v === undefined) {
    v = vars;
    for (const part of name.split('.')) {
      if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) return null;
      v = (v as Record<string, unknown>)[part];
    }
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return null;
}

export interface Rendered {
  text: string;
  /** Variables without a value and without a fallback; their placeholders stay in the text for the agent to see. */
  missing: string[];
}

export function renderTemplate(body: string, vars: Record<string, unknown>): Rendered {
  const missing: string[] = [];
  const text = body.replace(PLACEHOLDER, (raw: string, inner: string) => {
    const p = parsePlaceholder(raw, inner);
    if (!NAME.test(p.name)) return raw;
    const value = lookup(vars, p.name);
    if (value !== null) return value;
    if (p.fallback !== null) return p.fallback;
    if (!missing.includes(p.name)) missing.push(p.name);
    return raw;
  });
  return { text, missing };
}
