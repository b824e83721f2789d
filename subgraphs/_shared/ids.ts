import { createHash, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

/** A stable UUID derived from a name, so seeds are idempotent and subgraphs agree on demo ids. */
export function stableId(name: string): string {
  const h = createHash('sha1').update(`huiliu:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
