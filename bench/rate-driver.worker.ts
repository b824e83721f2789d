import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { KeepAliveSender } from './keepalive.sender.js';

/** One delivery: where it goes and its exact bytes. */
export interface RateRequest { path: string; body: Buffer }

export interface RateResult {
  offered: number; rate: number; p50: number; p99: number; p999: number; max: number; failed: number; statuses: Record<number, number>; seconds: number;
  p99BySecond: number[];
  /** When each request was acknowledged (200), in milliseconds since the epoch; NaN when it was not. */
  ackedAtEpochMs: Float64Array;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/**
 * Open loop, as a channel pushes: delivery i leaves at start + i / rate whether or not earlier ones were answered,
 * over keep-alive connections (a new connection only when all are busy; KeepAliveSender, for its low CPU cost).
 * Latency counts from the moment a delivery was due, so a stall that delays sending is counted (no coordinated
 * omission). This is how "≥ 1,000 messages/s sustained with ack p99 < 50 ms" is measured: at that rate, not at
 * saturation, where a closed loop's latency is only its connection count divided by the rate (Little's law).
 */
async function driveAtRate(ports: number[], reqs: RateRequest[], perSecond: number, warmupSeconds: number): Promise<RateResult> {
  const senders = ports.map((port) => new KeepAliveSender(port));
  const bytes = reqs.map((r, k) => senders[k % senders.length].request(r.path, r.body, 'text/xml'));
  const lat: number[] = [];
  let failed = 0;
  let acked = 0;
  let last = 0;
  let answered = 0;
  let allAnswered = () => undefined as void;
  const statuses: Record<number, number> = {};
  const ackedAt = new Float64Array(reqs.length).fill(NaN);
  // Acknowledgement latency by the second it was due in: where the tail comes from (a stall, or all along).
  const bySecond: number[][] = Array.from({ length: Math.ceil(reqs.length / perSecond) + 1 }, () => []);
  const start = performance.now();
  const send = (dueAt: number, k: number) => senders[k % senders.length].send(bytes[k], (status) => {
    const t = (last = performance.now());
    if (status === 200) {
      acked++;
      if (dueAt - start >= warmupSeconds * 1000) lat.push(t - dueAt);
      bySecond[Math.floor((dueAt - start) / 1000)]?.push(t - dueAt);
      ackedAt[k] = performance.timeOrigin + t;
    } else {
      failed++;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    if (++answered === reqs.length) allAnswered();
  });
  let i = 0;
  while (i < reqs.length) {
    const due = Math.min(reqs.length, Math.floor(((performance.now() - start) / 1000) * perSecond) + 1);
    for (; i < due; i++) send(start + (i / perSecond) * 1000, i);
    await new Promise((r) => setTimeout(r, 1));
  }
  // An answer that never comes counts as failed after a minute (status 0), as a platform would give up.
  if (answered < reqs.length) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((r) => (allAnswered = r)), new Promise<void>((r) => (timer = setTimeout(r, 60_000)))]);
    clearTimeout(timer);
  }
  const unanswered = reqs.length - answered;
  if (unanswered) { failed += unanswered; statuses[0] = (statuses[0] ?? 0) + unanswered; }
  allAnswered = () => undefined;
  for (const s of senders) s.close();
  return {
    offered: perSecond, rate: acked / ((last - start) / 1000), p50: pct(lat, 50), p99: pct(lat, 99), p999: pct(lat, 99.9), max: pct(lat, 100), failed, statuses, seconds: (last - start) / 1000,
    p99BySecond: bySecond.filter((xs) => xs.length).map((xs) => Math.round(pct(xs, 99))),
    ackedAtEpochMs: ackedAt,
  };
}

/**
 * driveAtRate in a worker thread of its own: a small heap and an event loop that does nothing else. An open loop
 * counts a stall of its own sender as latency of the system under test, and the bench's main thread (every
 * delivery, the published-event map, the probes) was seen stalled by GC for 45–95 ms during a run.
 */
export function driveAtRateInWorker(ports: number | number[], reqs: RateRequest[], perSecond: number, warmupSeconds = 0): Promise<RateResult> {
  const worker = new Worker(join(__dirname, 'rate-driver.worker.js'), {
    workerData: { ports: Array.isArray(ports) ? ports : [ports], reqs: reqs.map((r) => ({ path: r.path, body: r.body })), perSecond, warmupSeconds },
  });
  return new Promise<RateResult>((resolve, reject) => {
    worker.once('message', (r: RateResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`rate driver exited with ${code} before answering`)));
  });
}

if (!isMainThread && parentPort && (workerData as { perSecond?: number } | null)?.perSecond) {
  const d = workerData as { ports: number[]; reqs: Array<{ path: string; body: Uint8Array }>; perSecond: number; warmupSeconds: number };
  const reqs = d.reqs.map((r) => ({ path: r.path, body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength) }));
  void driveAtRate(d.ports, reqs, d.perSecond, d.warmupSeconds).then((r) => parentPort!.postMessage(r));
}
