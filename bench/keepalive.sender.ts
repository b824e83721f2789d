import { connect, type Socket } from 'node:net';

/** Called once per request with the answer's status (0: the connection failed or the answer was unreadable). */
export type Answered = (status: number) => void;

interface Conn { socket: Socket; buffered: Buffer; waiting: Answered | null; idleSince: number }

/**
 * A connection idle this long is closed rather than reused: Node's servers close idle keep-alive connections after
 * 5 s, and a request written as the server closes one is never answered (a status 0, counted as not acknowledged).
 * undici's default is the same 4 s. After a stall the sender holds many connections, most of them then idle.
 */
const MAX_IDLE_MS = 4000;

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The open-loop sender's HTTP/1.1 client: keep-alive connections to one port, a new one only when all are busy,
 * requests written as prepared bytes (`request`), answers read as far as their status line and content-length.
 *
 * Written by hand, not undici, because the sender shares the two cores with what it measures: at 1,100 requests/s
 * undici's client took 207–216 µs of CPU per request against a bare server on this machine, this one ~120, and
 * every microsecond the load generator takes is one the system under test waits for. It reads only what the
 * answers it measures are: small, with content-length, never chunked; anything else fails that request (0).
 */
export class KeepAliveSender {
  private readonly idle: Conn[] = [];
  private readonly open = new Set<Conn>();

  constructor(private readonly port: number, private readonly host = '127.0.0.1') {}

  /** A POST's bytes, head and body in one buffer: built before the clock starts. */
  request(path: string, body: Buffer, contentType: string): Buffer {
    const head = `POST ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\ncontent-type: ${contentType}\r\ncontent-length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  send(bytes: Buffer, answered: Answered): void {
    const now = performance.now();
    let c = this.idle.pop();
    if (c && now - c.idleSince > MAX_IDLE_MS) { // the most recent is on top: the rest below it are older still
      for (const old of this.idle.splice(0)) old.socket.destroy();
      c.socket.destroy();
      c = undefined;
    }
    c ??= this.connect();
    c.waiting = answered;
    c.socket.write(bytes);
  }

  close(): void {
    for (const c of this.open) c.socket.destroy();
  }

  private connect(): Conn {
    const c: Conn = { socket: connect(this.port, this.host), buffered: Buffer.alloc(0), waiting: null, idleSince: 0 };
    c.socket.setNoDelay(true);
    this.open.add(c);
    c.socket.on('data', (chunk: Buffer) => this.read(c, chunk));
    const gone = () => {
      this.open.delete(c);
      const i = this.idle.indexOf(c);
      if (i >= 0) this.idle.splice(i, 1);
      this.settle(c, 0);
    };
    c.socket.on('error', gone);
    c.socket.on('close', gone);
    return c;
  }

  private read(c: Conn, chunk: Buffer): void {
    c.buffered = c.buffered.length ? Buffer.concat([c.buffered, chunk]) : chunk;
    const end = c.buffered.indexOf(HEAD_END);
    if (end < 0) return;
    const head = c.buffered.toString('latin1', 0, end).toLowerCase();
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (!length || !c.waiting) return void c.socket.destroy(); // unsized (chunked) or unasked: not what is measured
    const total = end + HEAD_END.length + Number(length[1]);
    if (c.buffered.length < total) return;
    const status = Number(head.slice(9, 12)); // "http/1.1 200 ..."
    c.buffered = c.buffered.subarray(total);
    this.settle(c, status);
    if (/\r\nconnection: *close/.test(head)) c.socket.destroy();
    else {
      c.idleSince = performance.now();
      this.idle.push(c);
    }
  }

  private settle(c: Conn, status: number): void {
    const w = c.waiting;
    c.waiting = null;
    w?.(status);
  }
}
