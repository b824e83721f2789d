import { Directive, Field, ObjectType } from 'type-graphql';
import { badInput } from './errors.js';

@ObjectType({ description: 'Cursor pagination; pass endCursor as `after` for the next page.' })
@Directive('@shareable')
export class PageInfo {
  @Field(() => String, { nullable: true })
  endCursor: string | null;

  @Field()
  hasNextPage: boolean;
}

export const MAX_PAGE = 200;

export function clampFirst(first: number | undefined | null, dflt = 20): number {
  const n = first ?? dflt;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw badInput(`first must be between 1 and ${MAX_PAGE}`, 'first');
  return n;
}

/** Keyset cursor over (timestamp, id): stable under inserts, unlike offsets. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const d = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(d.getTime())) throw new Error('shape');
    return { at: d, id };
  } catch {
    throw badInput('after is not a valid cursor', 'after');
  }
}

/** Fetches first+1 rows and turns them into a page. */
export function toPage<T extends { id: string }>(rows: T[], first: number, at: (row: T) => Date): { nodes: T[]; pageInfo: PageInfo } {
  const nodes = rows.slice(0, first);
  const last = nodes[nodes.length - 1];
  return { nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(at(last), last.id) : null } };
}
