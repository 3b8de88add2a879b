/**
 * Starting, querying and stopping the child processes of bench/mtp.ts (bench/mtp-peer.ts), with
 * bounded waits. A peer's CPU time is `process.cpuUsage()` taken inside the child over the IPC
 * channel (getrusage: every thread of the process, µs resolution); `procCpuUs` reads the same
 * counters from /proc/<pid>/stat (clock ticks, 10 ms here) as an independent cross-check.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerEvent, PeerSpec } from './mtp-shared.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEER_SCRIPT = fileURLToPath(new URL('./mtp-peer.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 8_000;
/** USER_HZ of /proc/<pid>/stat; `getconf CLK_TCK` is 100 on Linux x86-64 and arm64. */
const CLK_TCK = 100;

export interface Peer {
  readonly name: string;
  readonly pid: number;
  readonly wsPort: number | undefined;
  /** CPU time the child has used so far (process.cpuUsage() in the child), µs. */
  cpuUs(): Promise<{ user: number; system: number }>;
  /** Starts the sampling profiler in the child. */
  profileStart(): Promise<void>;
  /** Stops it and writes the .cpuprofile to `file`. */
  profileStop(file: string): Promise<void>;
  /** Asks the child to stop, then SIGKILLs it after a grace period; idempotent. */
  stop(): Promise<void>;
}

/** Every child still running, for the emergency cleanup in bench/mtp.ts. */
export const liveChildren = new Set<ChildProcess>();

export async function spawnPeer(name: string, spec: PeerSpec): Promise<Peer> {
  const child = spawn(process.execPath, ['--import', 'tsx', PEER_SCRIPT, JSON.stringify(spec)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      liveChildren.delete(child);
      resolve();
    }),
  );
  const waiting = new Map<number, { resolve: (e: PeerEvent) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let ready: ((e: Extract<PeerEvent, { t: 'ready' }>) => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  child.on('message', (e: PeerEvent) => {
    if (e.t === 'ready') ready?.(e);
    else if (e.t === 'failed') failed?.(new Error(`${name} failed: ${e.error}`));
    else waiting.get(e.id)?.resolve(e);
  });
  void exited.then(() => {
    const err = new Error(`${name} (pid ${child.pid ?? '?'}) exited (code ${child.exitCode ?? child.signalCode})`);
    failed?.(err);
    for (const w of waiting.values()) w.reject(err);
  });
  const ask = (cmd: (id: number) => PeerCommand): Promise<PeerEvent> => {
    const id = ++nextId;
    return new Promise<PeerEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not answer within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(id);
      };
      waiting.set(id, { resolve: (e) => (done(), resolve(e)), reject: (e) => (done(), reject(e)) });
      child.send(cmd(id));
    });
  };
  const ackOf = async (cmd: (id: number) => PeerCommand): Promise<void> => {
    const e = await ask(cmd);
    if (e.t === 'ack' && e.error) throw new Error(`${name}: ${e.error}`);
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ t: 'stop' } satisfies PeerCommand);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  try {
    const r = await new Promise<Extract<PeerEvent, { t: 'ready' }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      ready = (e) => (clearTimeout(timer), resolve(e));
      failed = (e) => (clearTimeout(timer), reject(e));
    });
    failed = undefined;
    return {
      name,
      pid: child.pid ?? 0,
      wsPort: r.wsPort,
      async cpuUs() {
        const e = await ask((id) => ({ t: 'cpu', id }));
        if (e.t !== 'cpu') throw new Error(`${name}: unexpected answer ${e.t}`);
        return { user: e.user, system: e.system };
      },
      profileStart: () => ackOf((id) => ({ t: 'prof-start', id })),
      profileStop: (file) => ackOf((id) => ({ t: 'prof-stop', id, file })),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** utime + stime of a process from /proc/<pid>/stat, µs (resolution 1/CLK_TCK s); NaN when unreadable. */
export function procCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK; // #14 utime, #15 stime
  } catch {
    return NaN;
  }
}

/** The pid of the process whose command line contains `needle` (e.g. our broker's config path), if any. */
export function findPid(needle: string): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) return Number(d);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}
