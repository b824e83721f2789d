import { DomainError, toGraphQLError } from './errors.js';
import type { PubSub } from './pubsub.js';

/**
 * A subscription's event stream: the topic's events of ONE tenant that pass `accept`, each reloaded from the
 * database (tenant-scoped) and skipped when the row is gone. Written as a plain iterator, not an async
 * generator, so that `return()` (client unsubscribes) reaches the pub/sub iterator even while it waits.
 */
export function liveRows<E extends { tenantId: string }, R>(
  pubsub: PubSub,
  topic: string,
  tenantId: string,
  accept: (e: E) => boolean,
  reload: (e: E) => Promise<R | null>,
): AsyncIterableIterator<R> {
  const source = pubsub.subscribe<E>(topic);
  const done = (): IteratorResult<R> => ({ done: true, value: undefined });
  const it: AsyncIterableIterator<R> = {
    async next(): Promise<IteratorResult<R>> {
      for (;;) {
        const r = await source.next();
        if (r.done) return done();
        const e = r.value;
        if (!e || e.tenantId !== tenantId || !accept(e)) continue;
        const row = await reload(e);
        if (row) return { done: false, value: row };
      }
    },
    async return(): Promise<IteratorResult<R>> {
      await source.return?.();
      return done();
    },
    async throw(err?: unknown): Promise<IteratorResult<R>> {
      await source.return?.();
      throw err;
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * Runs a subscription's subscribe step. Over graphql-ws no formatError runs, so expected failures are thrown as
 * GraphQLErrors carrying their code (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND) for the client to branch on.
 */
export async function subscribeGuarded<T>(open: () => T | Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    throw e instanceof DomainError ? toGraphQLError(e) : e;
  }
}
