import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription<T> {
  events: T[];
  errors: unknown[];
  /** Resolves with the first event. */
  first: Promise<T>;
  dispose(): void;
}

/** A graphql-ws client authenticated like a browser would be: token in connection_init. */
export function wsClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export function subscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const events: T[] = [];
  const errors: unknown[] = [];
  let resolveFirst!: (v: T) => void;
  let rejectFirst!: (e: unknown) => void;
  const first = new Promise<T>((res, rej) => {
    resolveFirst = res;
    rejectFirst = rej;
  });
  first.catch(() => undefined);
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) {
          errors.push(v.errors);
          rejectFirst(new Error(JSON.stringify(v.errors)));
          return;
        }
        events.push(v.data as T);
        resolveFirst(v.data as T);
      },
      error: (e) => {
        errors.push(e);
        rejectFirst(e);
      },
      complete: () => undefined,
    },
  );
  return { events, errors, first, dispose };
}
