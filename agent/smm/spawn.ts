/**
 * What the process and runc runtimes share: starting a detached child whose stdout and stderr
 * append to the EU's log (it outlives an agent restart), and the table of units this agent
 * knows to be running, from which an exited unit drops out by itself.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { RunningUnit, UnitExit } from './runtime.js';

export interface SpawnOptions {
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts `file` detached in its own process group. Resolves once it runs; a missing or
 * non-executable program (ENOENT/EACCES) rejects, which the supervisor reports as a failed start.
 */
export async function spawnDetached(file: string, args: readonly string[], opts: SpawnOptions): Promise<RunningUnit> {
  const log = openSync(opts.logFile, 'a', 0o600);
  let child;
  try {
    child = spawn(file, args, { stdio: ['ignore', log, log], detached: true, ...(opts.cwd && { cwd: opts.cwd }), ...(opts.env && { env: opts.env }) });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<UnitExit>((done) => {
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', () => done({ code: null, signal: null }));
  });
  const pid = await new Promise<number>((ok, fail) => {
    child.once('spawn', () => ok(child.pid ?? 0));
    child.once('error', fail);
  });
  child.unref();
  return { pid, exited };
}

/** Running units by id. */
export class UnitTable {
  private readonly units = new Map<string, RunningUnit>();

  get(id: string): RunningUnit | undefined {
    return this.units.get(id);
  }

  /** Records `unit` under `id` until it exits (or another unit takes the id). */
  track(id: string, unit: RunningUnit): RunningUnit {
    this.units.set(id, unit);
    unit.exited.then(
      () => this.units.get(id) === unit && this.units.delete(id),
      () => this.units.get(id) === unit && this.units.delete(id),
    );
    return unit;
  }

  delete(id: string): void {
    this.units.delete(id);
  }
}
