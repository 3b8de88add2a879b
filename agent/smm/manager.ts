/**
 * Software Module Management (TR-181 Device.SoftwareModules.; USP-NOTES §15): ties the
 * Execution Environments, the DU operations and the EU supervisor to the data model. Installed
 * DUs persist across restarts (R-SMM.0): at start-up the disk and the rows are reconciled
 * (leftovers of an interrupted operation go) and each EU is adopted if still running, started
 * if AutoStart, or Idle.
 */
import { join } from 'node:path';
import { CommandFailureError } from '../../datamodel/errors.js';
import type { DataModel } from '../../datamodel/model.js';
import type { CommandArgs } from '../../datamodel/nodes.js';
import type { SmmConfig } from '../config-smm.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../notify/events.js';
import { DuDisk } from './disk.js';
import { DuOperations } from './du-ops.js';
import { ExecEnvs } from './exec-envs.js';
import { ProcessRuntime } from './process-runtime.js';
import { RuncRuntime } from './runc-runtime.js';
import { deleteRow, objPathOf, ref, rows, setValues, value } from './rows.js';
import type { ExecRuntime } from './runtime.js';
import { Supervisor } from './supervisor.js';
import { UnitLogs } from './unit-log.js';

export interface SoftwareModulesOptions {
  readonly config: SmmConfig;
  /** The runtimes (PlatformHooks.execRuntimes); default: processes, and runc unless `smm.runc` is ''. */
  readonly runtimes?: readonly ExecRuntime[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Where DUStateChange! goes (read at each event: the notifier is wired in after start-up). */
  events(): EventSink;
}

/** The built-in runtimes for this config. */
export function defaultRuntimes(config: SmmConfig): ExecRuntime[] {
  const out: ExecRuntime[] = [new ProcessRuntime(join(config.dir, 'run'))];
  if (config.runc) out.push(new RuncRuntime({ binary: config.runc, dir: join(config.dir, 'runc'), network: config.network, cgroupParent: '/usp-agent-smm' }));
  return out;
}

interface Parts {
  readonly dm: DataModel;
  readonly supervisor: Supervisor;
  readonly ops: DuOperations;
}

export class SoftwareModules {
  readonly envs: ExecEnvs;
  readonly disk: DuDisk;
  private readonly logs: UnitLogs;
  private parts: Parts | undefined;

  constructor(private readonly opts: SoftwareModulesOptions) {
    this.envs = new ExecEnvs(opts.runtimes ?? defaultRuntimes(opts.config), opts.log);
    this.disk = new DuDisk(opts.config.dir);
    this.logs = new UnitLogs(opts.config.logMaxBytes, opts.log);
  }

  private get p(): Parts {
    if (!this.parts) throw new CommandFailureError('Software Module Management is not running');
    return this.parts;
  }

  async open(dm: DataModel): Promise<void> {
    const { clock, log, config } = this.opts;
    await this.disk.init();
    await this.envs.open(dm);
    const supervisor = new Supervisor({
      dm,
      clock,
      log,
      disk: this.disk,
      logs: this.logs,
      startGraceMs: config.startGraceMs,
      runtimeFor: (r) => this.envs.runtimeFor(r),
    });
    const ops = new DuOperations({ dm, clock, config, disk: this.disk, supervisor, envs: this.envs, events: () => this.opts.events() });
    this.parts = { dm, supervisor, ops };
    // Reconcile: a DU row needs its live version on disk; files no row names are leftovers.
    const gone: string[] = [];
    await dm.transaction(async (txn) => {
      for (const du of rows(dm, 'DeploymentUnit')) {
        const cur = await this.disk.current(value(du, 'DUID'));
        if (!cur) {
          gone.push(ref(du.path));
          for (const r of value(du, 'ExecutionUnitList').split(',').filter(Boolean)) deleteRow(dm, txn, objPathOf(r));
          deleteRow(dm, txn, du.path);
        } else if (value(du, 'Status') !== 'Installed' || value(du, 'Version') !== cur.manifest.version) {
          setValues(dm, txn, du.path, { Status: 'Installed', Version: cur.manifest.version });
        }
      }
    });
    if (gone.length > 0) log.warn('SMM-W05', `removed ${gone.join(', ')}: their files are gone`);
    const removed = await this.disk.collect(new Set(rows(dm, 'DeploymentUnit').map((r) => value(r, 'DUID'))));
    if (removed.length > 0) log.info('SMM-I01', `removed leftovers of interrupted operations: ${removed.join(', ')}`);
    for (const eu of rows(dm, 'ExecutionUnit')) {
      const ee = value(eu, 'ExecutionEnvRef');
      const usable = dm.tree.get(objPathOf(ee)) && this.envs.status(dm.tree.get(objPathOf(ee))?.values ?? new Map()) === 'Up';
      if (usable) await supervisor.resume(value(eu, 'EUID'));
      else if (value(eu, 'Status') !== 'Idle') await dm.transaction((txn) => setValues(dm, txn, eu.path, { Status: 'Idle' }));
    }
  }

  /** Agent stop: EUs keep running; the next start adopts them. */
  close(): void {
    this.parts?.supervisor.close();
    this.logs.close();
  }

  install(input: CommandArgs, signal: AbortSignal): Promise<CommandArgs> {
    return this.p.ops.install(input, signal);
  }

  update(duPath: string, input: CommandArgs, signal: AbortSignal): Promise<CommandArgs> {
    return this.p.ops.update(duPath, input, signal);
  }

  uninstall(duPath: string): Promise<CommandArgs> {
    return this.p.ops.uninstall(duPath);
  }

  /**
   * An EU operation that goes on after its command returned: its end is recorded in the data
   * model, which can fail (a full or closed database); that is logged, never an unhandled rejection.
   */
  private background(euid: string, what: string, op: Promise<unknown>): void {
    op.catch((e: unknown) => this.opts.log.warn('SMM-W08', `${what} of execution unit ${euid} failed`, e));
  }

  /** Checks an EU request (TR-181 SetRequestedState(), Restart()) and returns its EUID. */
  private euFor(euPath: string): string {
    const { dm, ops } = this.p;
    const eu = dm.tree.get(euPath);
    const ee = dm.tree.get(objPathOf(value(eu, 'ExecutionEnvRef')));
    // TR-181 SetRequestedState(): with the EE disabled, an attempt to change the state MUST give an error.
    if (!ee || this.envs.status(ee.values) !== 'Up') throw new CommandFailureError(`the Execution Environment of ${ref(euPath)} is not Up`);
    const du = rows(dm, 'DeploymentUnit').find((r) => value(r, 'ExecutionUnitList').split(',').includes(ref(euPath)));
    if (du && ops.isBusy(value(du, 'DUID'))) throw new CommandFailureError(`${ref(du.path)} is ${value(du, 'Status')}; try again when it is Installed`);
    return value(eu, 'EUID');
  }

  /** SetRequestedState(): checks now, moves the EU afterwards (the command returns at once). */
  requestState(euPath: string, state: string): void {
    const euid = this.euFor(euPath);
    const status = value(this.p.dm.tree.get(euPath), 'Status');
    if (state === 'Active') {
      if (status === 'Stopping') throw new CommandFailureError(`${ref(euPath)} is Stopping; request Active once it is Idle`);
      this.background(euid, 'start', this.p.supervisor.start(euid, 'request'));
    } else {
      this.background(euid, 'stop', this.p.supervisor.stop(euid));
    }
  }

  /** EU Restart(). */
  restartUnit(euPath: string): void {
    const euid = this.euFor(euPath);
    if (value(this.p.dm.tree.get(euPath), 'Status') === 'Stopping') throw new CommandFailureError(`${ref(euPath)} is Stopping`);
    this.background(euid, 'restart', this.p.supervisor.restart(euid));
  }

  /** ExecEnv Reset(): back to the factory state, which has no DUs: uninstalls every DU of the EE. */
  async resetExecEnv(eePath: string): Promise<CommandArgs> {
    const { dm, ops } = this.p;
    for (const du of rows(dm, 'DeploymentUnit').filter((r) => value(r, 'ExecutionEnvRef') === ref(eePath))) await ops.uninstall(du.path);
    return {};
  }

  /** ExecEnv ActiveExecutionUnits. */
  activeUnits(eePath: string): string {
    const { dm } = this.p;
    return rows(dm, 'ExecutionUnit')
      .filter((r) => value(r, 'ExecutionEnvRef') === ref(eePath) && value(r, 'Status') === 'Active')
      .map((r) => ref(r.path))
      .join(',');
  }
}
