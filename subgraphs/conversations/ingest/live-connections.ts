import type Redis from 'ioredis';
import type { WebSocket } from 'ws';
import type { ClientConnections } from '../../../plugins/sdk/index.js';
import type { Logger } from '../../_shared/logger.js';

/**
 * The widget's and the app's live WebSockets (ClientConnections for the channel plugins), across replicas.
 * A client's socket is held by whichever replica it connected to, while an agent's reply is sent from any
 * replica. With Redis, each replica subscribes to one Redis channel per client it holds and `send` PUBLISHes
 * there: PUBLISH answers how many subscribers got the frame, so `send` still tells a live client (delivered)
 * from an offline one (queued) without a presence registry to keep in step. Embedded (no Redis): local only.
 */
export class LiveConnections implements ClientConnections {
  private readonly local = new Map<string, Set<WebSocket>>();

  /** `fanout`: a publishing connection and a subscribing one (Redis needs a connection of its own for that). */
  constructor(private readonly log: Logger, private readonly fanout?: { publisher: Redis; subscriber: Redis; prefix: string }) {
    fanout?.subscriber.on('message', (topic: string, frame: string) => {
      if (topic.startsWith(fanout.prefix)) this.deliver(topic.slice(fanout.prefix.length), frame);
    });
  }

  async send(channelId: string, clientId: string, frame: Record<string, unknown>): Promise<boolean> {
    const key = keyOf(channelId, clientId);
    const text = JSON.stringify(frame);
    if (!this.fanout) return this.deliver(key, text) > 0;
    return (await this.fanout.publisher.publish(this.fanout.prefix + key, text)) > 0;
  }

  /** Binds a socket to its client (a client may have several tabs or devices); unbound on close. */
  add(channelId: string, clientId: string, ws: WebSocket): void {
    const key = keyOf(channelId, clientId);
    let set = this.local.get(key);
    if (!set) {
      this.local.set(key, (set = new Set()));
      this.fanout?.subscriber.subscribe(this.fanout.prefix + key).catch((err) => this.log.warn({ err, channelId }, 'live connection subscribe failed'));
    }
    set.add(ws);
  }

  remove(channelId: string, clientId: string, ws: WebSocket): void {
    const key = keyOf(channelId, clientId);
    const set = this.local.get(key);
    if (!set?.delete(ws) || set.size) return;
    this.local.delete(key);
    this.fanout?.subscriber.unsubscribe(this.fanout.prefix + key).catch(() => undefined);
  }

  /** Sockets held by this replica (tests). */
  get size(): number {
    let n = 0;
    for (const s of this.local.values()) n += s.size;
    return n;
  }

  async close(): Promise<void> {
    this.local.clear();
    this.fanout?.subscriber.disconnect();
    this.fanout?.publisher.disconnect();
  }

  private deliver(key: string, frame: string): number {
    let n = 0;
    for (const ws of this.local.get(key) ?? []) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(frame);
      n++;
    }
    return n;
  }
}

const keyOf = (channelId: string, clientId: string) => `${channelId}:${clientId}`;
