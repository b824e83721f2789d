import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';

/**
 * bench:ingest's measuring stick, run as a process of its own like the replicas it is compared with: the floor of
 * any durable acknowledgement on this machine. A bare Node http server keeps each request as a JSON row (method,
 * path, headers, body; a dedupe key from the body's hash) with INSERT IGNORE, grouped while an INSERT is in flight
 * (at most two at once, four pooled connections), and answers once its row is written. No signature, decryption
 * or parse. Written by hand because it is the yardstick, not a product. argv[2]: the database URL. Prints its port.
 */
async function main() {
  const pool = mysql.createPool({ uri: process.argv[2], connectionLimit: 4 });
  type Pending = { row: unknown[]; done: (ok: boolean) => void };
  let queue: Pending[] = [];
  let inFlight = 0;
  const flush = () => {
    if (inFlight >= 2 || !queue.length) return;
    const batch = queue;
    queue = [];
    inFlight++;
    pool.query('INSERT IGNORE INTO floor_ (id, channel_id, dedupe_key, request, received_at) VALUES ?', [batch.map((p) => p.row)])
      .then(() => batch.forEach((p) => p.done(true)), () => batch.forEach((p) => p.done(false)))
      .finally(() => { inFlight--; flush(); });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = JSON.stringify({ method: req.method, path: req.url, headers: req.headers, body: body.toString('utf8') });
      queue.push({
        row: [randomUUID(), (req.url ?? '').slice(-36), createHash('sha1').update(body).digest('hex'), request, new Date()],
        done: (ok) => { res.statusCode = ok ? 200 : 500; res.end('success'); },
      });
      flush();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  process.on('SIGTERM', () => { server.close(); void pool.end().then(() => process.exit(0)); });
}

void main();
