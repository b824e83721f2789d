import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system, ms) a process has used so far (Linux /proc); NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields after the command name: state is f[0]
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/** Pids of the local database and broker by process name (absent ones are left out). */
export function servicePids(names = ['mariadbd', 'redis-server']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) {
    try {
      const pid = Number(execFileSync('pgrep', ['-xo', n], { encoding: 'utf8' }).trim());
      if (pid) out[n] = pid;
    } catch {
      /* not running here */
    }
  }
  return out;
}

/**
 * CPU each process used while `work` ran, in ms. Unlike wall-clock rates on a shared 2-core VM, this says
 * where the cycles of a request go (the load generator is `self`, this process).
 */
export async function cpuDuring<T>(pids: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; cpuMs: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const self0 = process.cpuUsage();
  const result = await work();
  const self = process.cpuUsage(self0);
  const used: Record<string, number> = { self: (self.user + self.system) / 1000 };
  for (const [k, pid] of Object.entries(pids)) used[k] = cpuMs(pid) - before[k];
  return { result, cpuMs: used };
}
