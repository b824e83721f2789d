import mysql from 'mysql2/promise';

type Conn = mysql.Connection;

async function status(c: Conn, names: string[]): Promise<Record<string, number>> {
  const [rows] = await c.query(`SHOW GLOBAL STATUS WHERE Variable_name IN (?)`, [names]) as unknown as [Array<{ Variable_name: string; Value: string }>];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
}

/**
 * InnoDB's redo log while `work` runs: bytes written per delivery, and how close the checkpoint age came to its
 * limit (sampled every 250 ms). Near 1, InnoDB flushes pages synchronously and makes statements wait: with the
 * server's default 96 MB log and 12 KB of redo per message, p99 was 53–161 ms against 36–42 ms with 1 GB.
 */
export async function redoDuring<T>(uri: string, work: () => Promise<T>): Promise<{ result: T; redoBytes: number; checkpointPeakShare: number }> {
  const c = await mysql.createConnection({ uri });
  try {
    const before = await status(c, ['Innodb_lsn_current', 'Innodb_checkpoint_max_age']);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await status(c, ['Innodb_checkpoint_age'])).Innodb_checkpoint_age ?? 0);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const result = await work().finally(() => { sampling = false; });
    await sampler;
    const after = await status(c, ['Innodb_lsn_current']);
    return { result, redoBytes: after.Innodb_lsn_current - before.Innodb_lsn_current, checkpointPeakShare: Math.round((peak / before.Innodb_checkpoint_max_age) * 100) / 100 };
  } finally {
    await c.end();
  }
}

/**
 * BENCH_INNODB_LOG_MB: runs the bench with that redo log size (MariaDB 10.11 resizes it online) and puts the
 * server's own size back afterwards. Unset: the server as it is. Returns the size in effect and the restore.
 */
export async function innodbLogSize(uri: string, mb: number | undefined): Promise<{ logMB: number; restore: () => Promise<void> }> {
  const c = await mysql.createConnection({ uri });
  try {
    const [[{ size }]] = await c.query('SELECT @@innodb_log_file_size AS size') as unknown as [[{ size: number | string }]];
    const original = Number(size);
    if (!mb || mb * 1024 * 1024 === original) return { logMB: original / 1024 / 1024, restore: async () => undefined };
    await c.query('SET GLOBAL innodb_log_file_size = ?', [mb * 1024 * 1024]);
    return {
      logMB: mb,
      restore: async () => {
        const r = await mysql.createConnection({ uri });
        await r.query('SET GLOBAL innodb_log_file_size = ?', [original]).finally(() => r.end());
      },
    };
  } finally {
    await c.end();
  }
}

/**
 * Waits (at most `maxMs`) until InnoDB's checkpoint age is below `share` of its limit, so the sustained phase
 * does not start with the page flushing that the saturation burst left behind; returns the seconds waited.
 */
export async function settleCheckpoint(uri: string, share = 0.25, maxMs = 60_000): Promise<number> {
  const c = await mysql.createConnection({ uri });
  const start = performance.now();
  try {
    for (;;) {
      const s = await status(c, ['Innodb_checkpoint_age', 'Innodb_checkpoint_max_age']);
      if (!(s.Innodb_checkpoint_age > share * s.Innodb_checkpoint_max_age) || performance.now() - start > maxMs) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return Math.round((performance.now() - start) / 100) / 10;
  } finally {
    await c.end();
  }
}
