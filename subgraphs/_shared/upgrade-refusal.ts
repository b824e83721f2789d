import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an HTTP upgrade that is not taken with a plain HTTP response and closes the socket (nothing was switched). */
export function refuseUpgrade(socket: Duplex, status: number, message = ''): void {
  const body = Buffer.from(message);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${message}`);
}
