/**
 * Execution Unit supervision (TR-181 Device.SoftwareModules.ExecutionUnit.{i}; TR-369 Appendix
 * "Software Module Management"): Status follows the real process or container. Idle → Starting
 * → Active on a request; a unit that exits within the start-up grace time failed to start
 * (FailureOnStart / FailureOnAutoStart); one that exits while Active goes Idle with
 * FailureWhileActive and the exit status in ExecutionFaultMessage, and comes back after the
 * AutoRestart back-off when AutoRestart.Enable is set. Operations on one EU run one at a time.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { DuDisk } from './disk.js';
import { nowIso, ref, rows, setValues, value } from './rows.js';
import type { ExecRuntime, RunningUnit, UnitExit, UnitSpec } from './runtime.js';
import type { UnitLogs } from './unit-log.js';

export interface SupervisorDeps {
  readonly dm: DataModel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly disk: DuDisk;
  readonly logs: UnitLogs;
  readonly startGraceMs: number;
  /** The runtime behind an ExecEnv reference. */
  runtimeFor(execEnvRef: string): ExecRuntime | undefined;
}

type Phase = 'idle' | 'starting' | 'active' | 'stopping';

interface Unit {
  phase: Phase;
  handle: RunningUnit | undefined;
  startedAt: number;
  cancelRestart: (() => void) | undefined;
  queue: Promise<unknown>;
}

export type StartCause = 'request' | 'auto' | 'restart';

function describe(exit: UnitExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code === null) return 'exited (status unknown)';
  return `exited with code ${exit.code}`;
}

export class Supervisor {
  private readonly units = new Map<string, Unit>();
  private closed = false;

  constructor(private readonly deps: SupervisorDeps) {}

  private unit(euid: string): Unit {
    let u = this.units.get(euid);
    if (!u) {
      u = { phase: 'idle', handle: undefined, startedAt: 0, cancelRestart: undefined, queue: Promise.resolve() };
      this.units.set(euid, u);
    }
    return u;
  }

  /** Runs `fn` after the EU's earlier operations. */
  private serial<T>(euid: string, fn: () => Promise<T>): Promise<T> {
    const u = this.unit(euid);
    const run = u.queue.then(fn, fn);
    u.queue = run.catch(() => undefined);
    return run;
  }

  /** The EU row for `euid`. */
  euPath(euid: string): string | undefined {
    return rows(this.deps.dm, 'ExecutionUnit').find((r) => value(r, 'EUID') === euid)?.path;
  }

  /** Whether the EU runs or is being started (per this agent's view). */
  isRunning(euid: string): boolean {
    const p = this.units.get(euid)?.phase;
    return p === 'starting' || p === 'active';
  }

  private async set(euid: string, values: Readonly<Record<string, string>>): Promise<void> {
    const path = this.euPath(euid);
    if (!path || this.closed) return;
    await this.deps.dm.transaction((txn) => {
      if (this.deps.dm.tree.get(path)) setValues(this.deps.dm, txn, path, values);
    });
  }

  /** The spec to run `euid` from the DU's live version. */
  private async spec(euid: string): Promise<{ spec: UnitSpec; runtime: ExecRuntime }> {
    const { dm, disk } = this.deps;
    const path = this.euPath(euid);
    const eu = path ? dm.tree.get(path) : undefined;
    const du = rows(dm, 'DeploymentUnit').find((r) => path && value(r, 'ExecutionUnitList').split(',').includes(ref(path)));
    const runtime = this.deps.runtimeFor(value(eu, 'ExecutionEnvRef'));
    const duid = value(du, 'DUID');
    const cur = duid ? await disk.current(duid) : undefined;
    const def = cur?.manifest.units.find((u) => u.name === value(eu, 'Name'));
    if (!eu || !du || !runtime || !cur || !def) throw new Error(`${euid} has no installed DU or usable runtime`);
    const num = (n: string): number => Number(value(eu, n) || '-1');
    const spec: UnitSpec = {
      id: value(eu, 'ExecEnvLabel'),
      dir: disk.versionDir(duid, cur.n),
      exec: def,
      limits: { memoryKiB: num('AllocatedMemory'), cpuPercent: num('AllocatedCPUPercent') },
      logFile: disk.logFile(euid),
    };
    return { spec, runtime };
  }

  /** Starts the EU; resolves true once it is Active, false when it failed to start (Idle with a fault). */
  start(euid: string, cause: StartCause): Promise<boolean> {
    return this.serial(euid, () => this.doStart(euid, cause));
  }

  private async doStart(euid: string, cause: StartCause): Promise<boolean> {
    const u = this.unit(euid);
    if (u.phase === 'active' || u.phase === 'starting') return true;
    u.cancelRestart?.();
    u.cancelRestart = undefined;
    u.phase = 'starting';
    const failCode = cause === 'auto' ? 'FailureOnAutoStart' : 'FailureOnStart';
    await this.set(euid, { Status: 'Starting' });
    let handle: RunningUnit;
    try {
      const { spec, runtime } = await this.spec(euid);
      this.deps.logs.watch(spec.logFile);
      handle = await runtime.start(spec);
    } catch (e) {
      u.phase = 'idle';
      await this.set(euid, { Status: 'Idle', ExecutionFaultCode: failCode, ExecutionFaultMessage: `cannot start: ${(e as Error).message}`.slice(0, 256) });
      return false;
    }
    u.handle = handle;
    u.startedAt = this.deps.clock.now();
    let graceTimer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      handle.exited,
      new Promise<undefined>((done) => {
        graceTimer = setTimeout(() => done(undefined), this.deps.startGraceMs);
      }),
    ]);
    clearTimeout(graceTimer);
    if (early) {
      u.phase = 'idle';
      u.handle = undefined;
      await this.set(euid, { Status: 'Idle', ExecutionFaultCode: failCode, ExecutionFaultMessage: `${describe(early)} right after starting` });
      return false;
    }
    this.watch(euid, handle);
    u.phase = 'active';
    await this.set(euid, { Status: 'Active', ExecutionFaultCode: 'NoFault', ExecutionFaultMessage: '' });
    return true;
  }

  /** Follows a running unit: an exit nobody asked for is a failure while Active. */
  private watch(euid: string, handle: RunningUnit): void {
    void handle.exited.then((exit) =>
      this.serial(euid, async () => {
        const u = this.unit(euid);
        if (u.handle !== handle || u.phase !== 'active' || this.closed) return;
        u.phase = 'idle';
        u.handle = undefined;
        this.deps.log.warn('SMM-W02', `execution unit ${euid} ${describe(exit)}`);
        await this.set(euid, { Status: 'Idle', ExecutionFaultCode: 'FailureWhileActive', ExecutionFaultMessage: describe(exit) });
        await this.scheduleRestart(euid, this.deps.clock.now() - u.startedAt);
      }),
    ).catch((e: unknown) => this.deps.log.warn('SMM-W06', `recording the exit of execution unit ${euid} failed`, e));
  }

  /** AutoRestart (TR-181 ExecutionUnit.{i}.AutoRestart.): back-off from the minimum wait, times the multiplier (in thousandths) per retry, up to the maximum. */
  private async scheduleRestart(euid: string, ranMs: number): Promise<void> {
    const path = this.euPath(euid);
    const ar = path ? this.deps.dm.tree.get(`${path}AutoRestart.`) : undefined;
    if (!ar || value(ar, 'Enable') !== 'true') return;
    const n = (k: string): number => Number(value(ar, k) || '0');
    const resetPeriod = n('ResetPeriod');
    let retries = n('RetryCount');
    if (resetPeriod > 0 && ranMs >= resetPeriod * 1000) retries = 0;
    const max = n('MaximumRetryCount');
    if (max > 0 && retries >= max) {
      this.deps.log.warn('SMM-W03', `execution unit ${euid} gave up restarting after ${retries} retries`);
      return;
    }
    const multiplier = n('RetryIntervalMultiplier') > 0 ? n('RetryIntervalMultiplier') / 1000 : 1;
    const maxWait = n('RetryMaximumWaitInterval') > 0 ? n('RetryMaximumWaitInterval') : Infinity;
    const waitS = Math.min(maxWait, n('RetryMinimumWaitInterval') * multiplier ** retries);
    const due = this.deps.clock.now() + waitS * 1000;
    await this.set(euid, { 'AutoRestart.RetryCount': String(retries + 1), 'AutoRestart.NextRestart': nowIso(due) });
    const u = this.unit(euid);
    u.cancelRestart = this.deps.clock.setTimer(() => {
      u.cancelRestart = undefined;
      void this.start(euid, 'restart').then(async (ok) => {
        if (ok) await this.set(euid, { 'AutoRestart.LastRestarted': nowIso(this.deps.clock.now()) });
      }).catch((e: unknown) => this.deps.log.warn('SMM-W07', `restarting execution unit ${euid} failed`, e));
    }, waitS * 1000);
  }

  /** Stops the EU (SIGTERM, then SIGKILL after ShutdownDelay) and leaves it Idle. */
  stop(euid: string): Promise<void> {
    return this.serial(euid, () => this.doStop(euid));
  }

  private async doStop(euid: string): Promise<void> {
    const u = this.unit(euid);
    u.cancelRestart?.();
    u.cancelRestart = undefined;
    const path = this.euPath(euid);
    const eu = path ? this.deps.dm.tree.get(path) : undefined;
    const runtime = this.deps.runtimeFor(value(eu, 'ExecutionEnvRef'));
    if (u.phase !== 'active' || !runtime) {
      u.phase = 'idle';
      return;
    }
    u.phase = 'stopping';
    await this.set(euid, { Status: 'Stopping' });
    const graceMs = Number(value(eu, 'ShutdownDelay') || '10') * 1000;
    try {
      await runtime.stop(value(eu, 'ExecEnvLabel'), graceMs);
      await this.set(euid, { Status: 'Idle', ExecutionFaultCode: 'NoFault', ExecutionFaultMessage: '' });
    } catch (e) {
      await this.set(euid, {
        Status: 'Idle',
        ExecutionFaultCode: 'FailureOnStop',
        ExecutionFaultMessage: `stop failed: ${(e as Error).message}`.slice(0, 256),
      });
    } finally {
      u.phase = 'idle';
      u.handle = undefined;
    }
  }

  /** Restart(): stops an Active EU (Status Restarting) and starts it again; starts an Idle one. */
  restart(euid: string): Promise<boolean> {
    return this.serial(euid, async () => {
      if (this.unit(euid).phase === 'active') {
        await this.doStop(euid);
        await this.set(euid, { Status: 'Restarting' });
      }
      return this.doStart(euid, 'request');
    });
  }

  /**
   * Start-up: a unit still running from before the agent restarted is adopted (Active); one
   * that is not runs again when AutoStart is set, and is Idle otherwise.
   */
  async resume(euid: string): Promise<void> {
    const path = this.euPath(euid);
    const eu = path ? this.deps.dm.tree.get(path) : undefined;
    const runtime = this.deps.runtimeFor(value(eu, 'ExecutionEnvRef'));
    const handle = runtime ? await runtime.adopt(value(eu, 'ExecEnvLabel')).catch(() => undefined) : undefined;
    if (handle) {
      const u = this.unit(euid);
      u.phase = 'active';
      u.handle = handle;
      u.startedAt = this.deps.clock.now();
      this.deps.logs.watch(this.deps.disk.logFile(euid));
      this.watch(euid, handle);
      await this.set(euid, { Status: 'Active' });
      return;
    }
    if (value(eu, 'AutoStart') === 'true') {
      await this.start(euid, 'auto');
      return;
    }
    if (value(eu, 'Status') !== 'Idle') await this.set(euid, { Status: 'Idle' });
  }

  /** Removes what is kept for a deleted EU (runtime state, logs). */
  async forget(euid: string, label: string, execEnvRef: string): Promise<void> {
    this.units.get(euid)?.cancelRestart?.();
    this.units.delete(euid);
    await this.deps.runtimeFor(execEnvRef)?.remove(label);
    await this.deps.logs.remove(this.deps.disk.logFile(euid));
  }

  /** Agent stop: units keep running (the next agent adopts them); timers stop. */
  close(): void {
    this.closed = true;
    for (const u of this.units.values()) u.cancelRestart?.();
  }
}
