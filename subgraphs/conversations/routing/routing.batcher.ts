/**
 * Group-commit style batching of reads: requests go out at the end of the tick they were made in while fewer
 * than `maxInFlight` batches are on their way; otherwise they wait for one to come back and leave with everything
 * that queued up meanwhile (per group, at most `maxBatch` keys). An idle system pays no delay; a busy one pays one round trip for many
 * requests, which is what counts where round trips, not the statements, cost the CPU.
 */
export class ReadBatcher<V> {
  private readonly queued = new Map<string, Map<string, Array<{ resolve: (v: V | null) => void; reject: (e: unknown) => void }>>>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly read: (group: string, keys: string[]) => Promise<Map<string, V>>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 64,
  ) {}

  load(group: string, key: string): Promise<V | null> {
    return new Promise<V | null>((resolve, reject) => {
      let g = this.queued.get(group);
      if (!g) this.queued.set(group, (g = new Map()));
      const waiters = g.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else g.set(key, [{ resolve, reject }]);
      // Keys asked for in the same tick (one routing step's candidates) leave together.
      if (!this.scheduled) {
        this.scheduled = true;
        process.nextTick(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queued.size) {
      const [group, all] = this.queued.entries().next().value!;
      const keys = [...all.keys()].slice(0, this.maxBatch);
      const batch = keys.map((k) => [k, all.get(k)!] as const);
      for (const k of keys) all.delete(k);
      if (!all.size) this.queued.delete(group);
      this.inFlight++;
      this.read(group, keys).then(
        (found) => {
          for (const [k, ws] of batch) for (const w of ws) w.resolve(found.get(k) ?? null);
        },
        (err) => {
          for (const [, ws] of batch) for (const w of ws) w.reject(err);
        },
      ).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}
