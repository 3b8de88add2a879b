/**
 * Process and CPU readings from procfs (proc(5)): Device.DeviceInfo.ProcessStatus.CPUUsage and
 * Process.{i}. Pure parsers plus small readers taking the procfs root, so tests can compare
 * them with what they read from /proc themselves.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** TR-181 Device.DeviceInfo.ProcessStatus.Process.{i}.State values. */
export type ProcessState = 'Running' | 'Sleeping' | 'Stopped' | 'Idle' | 'Uninterruptible' | 'Zombie';

export interface ProcessInfo {
  readonly pid: number;
  /** The command name (`comm`, at most 15 characters on Linux). */
  readonly command: string;
  /** Resident memory in KiB. */
  readonly sizeKiB: number;
  /** 0 (highest) to 99: the kernel priority of a normal process (20 + nice), real-time processes 0. */
  readonly priority: number;
  /** User plus system CPU time since the process started, in ms. */
  readonly cpuTimeMs: number;
  readonly state: ProcessState;
}

// USER_HZ: the unit of the times in /proc/[pid]/stat; 100 on every Linux architecture.
const CLOCK_TICKS_PER_SECOND = 100;

const STATES: Readonly<Record<string, ProcessState>> = {
  R: 'Running',
  S: 'Sleeping',
  D: 'Uninterruptible',
  T: 'Stopped',
  t: 'Stopped',
  Z: 'Zombie',
  X: 'Zombie',
  I: 'Idle',
};

/**
 * Parses one /proc/[pid]/stat line. The command sits in parentheses and may itself contain
 * spaces and parentheses, so the fields after it are found from the last ')'.
 */
export function parseProcessStat(text: string, pageKiB: number): ProcessInfo | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields from 3 (state) on; proc(5) numbers them from 1.
  const f = text.slice(close + 2).split(' ');
  const field = (n: number): number => Number(f[n - 3] ?? NaN);
  const utime = field(14);
  const stime = field(15);
  const prio = field(18);
  const rss = field(24);
  if (!Number.isInteger(pid) || pid <= 0 || [utime, stime, prio, rss].some((n) => !Number.isFinite(n))) return undefined;
  return {
    pid,
    command: text.slice(open + 1, close),
    sizeKiB: Math.max(0, rss) * pageKiB,
    priority: Math.min(99, Math.max(0, prio)),
    cpuTimeMs: Math.round(((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND),
    state: STATES[f[0] ?? ''] ?? 'Sleeping',
  };
}

/** The kernel page size in KiB, from the first mapping in /proc/self/smaps (4 on x86_64, 4 or 16 on arm64). */
export function pageSizeKiB(procRoot = '/proc'): number {
  try {
    // Only the first mapping is needed; the whole file is large and slow to generate.
    const fd = openSync(join(procRoot, 'self', 'smaps'), 'r');
    const buf = Buffer.alloc(4096);
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    const m = /KernelPageSize:\s+(\d+) kB/.exec(buf.toString('latin1', 0, n));
    if (m) return Number(m[1]);
  } catch {
    // No smaps (restricted procfs): the common page size below.
  }
  return 4;
}

/** Every process procfs lists now; one that exits while being read is skipped. */
export function readProcesses(procRoot = '/proc', pageKiB = pageSizeKiB(procRoot)): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch (e) {
    // No procfs (another OS): no process rows rather than an error at every Get.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(procRoot, name, 'stat'), 'utf8');
    } catch {
      continue; // exited between readdir and read
    }
    const p = parseProcessStat(text, pageKiB);
    if (p) out.push(p);
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Busy and total jiffies of all CPUs from the first line of /proc/stat. */
export function parseCpuTimes(text: string): { busy: number; total: number } | undefined {
  const line = text.slice(0, text.indexOf('\n'));
  if (!line.startsWith('cpu ')) return undefined;
  const n = line.slice(4).trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user/nice).
  const fields = n.slice(0, 8);
  if (fields.length < 4 || fields.some((x) => !Number.isFinite(x))) return undefined;
  const total = fields.reduce((s, x) => s + x, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * CPU usage in percent between two readings of /proc/stat (the first call: since boot). A
 * reading younger than `minIntervalMs` gives the previous figure, so frequent Gets see a
 * steady value rather than the noise of a few jiffies.
 */
export function cpuUsageMeter(procRoot = '/proc', minIntervalMs = 1000, now: () => number = () => performance.now()): () => number {
  let last = { busy: 0, total: 0 };
  let at = -Infinity;
  let percent = 0;
  return () => {
    const t = now();
    if (t - at < minIntervalMs) return percent;
    const cur = parseCpuTimes(readFileSync(join(procRoot, 'stat'), 'utf8'));
    if (!cur) return percent;
    const dt = cur.total - last.total;
    if (dt > 0) percent = Math.round((100 * (cur.busy - last.busy)) / dt);
    last = cur;
    at = t;
    return percent;
  };
}
