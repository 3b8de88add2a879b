/**
 * Watching processes the agent did not start in this run (units adopted after an agent
 * restart): Node cannot wait for a process that is not its child, so the process is polled.
 * The start time from /proc tells a live unit from a new process that reused its PID.
 */
import { readFileSync } from 'node:fs';
import type { UnitExit } from './runtime.js';

const POLL_MS = 200;

/** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or undefined if it is gone. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // State is field 3 (index 0 here); a zombie has exited.
    if (fields[0] === 'Z') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Settles when process `pid` (started at `ticks`) is gone; the exit status is unknown. */
export function watchPid(pid: number, ticks: string): Promise<UnitExit> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (processStartTicks(pid) === ticks) return;
      clearInterval(timer);
      resolve({ code: null, signal: null });
    }, POLL_MS);
    timer.unref();
  });
}
