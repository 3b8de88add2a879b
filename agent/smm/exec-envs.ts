/**
 * Device.SoftwareModules.ExecEnv.{i}: one row per runtime (agent/smm/runtime.ts), kept by Name
 * across restarts. Status is Up when the host can run the runtime (probed at start-up), Error
 * when it cannot (runc missing, not root), Disabled when a controller set Enable to false; an
 * operation on a DU in an EE that is not Up fails with 7223.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Logger } from '../log.js';
import { SmmFault, SmmFaultError } from './faults.js';
import { addRow, objPathOf, ref, rows, setValues, value } from './rows.js';
import type { DuKind, ExecRuntime, RuntimeInfo } from './runtime.js';

export type ExecEnvStatus = 'Up' | 'Error' | 'Disabled';

export class ExecEnvs {
  private readonly info = new Map<string, RuntimeInfo>();
  private model: DataModel | undefined;

  constructor(
    readonly runtimes: readonly ExecRuntime[],
    private readonly log: Logger,
  ) {}

  /** Probes every runtime and makes sure each has its row. */
  async open(dm: DataModel): Promise<void> {
    this.model = dm;
    for (const rt of this.runtimes) {
      const info = await rt.probe().catch((e: unknown): RuntimeInfo => ({ usable: false, reason: (e as Error).message, vendor: '', version: '' }));
      this.info.set(rt.name, info);
      if (!info.usable) this.log.warn('SMM-W04', `execution environment '${rt.name}' is not usable: ${info.reason}`);
    }
    await dm.transaction((txn) => {
      for (const rt of this.runtimes) {
        const info = this.info.get(rt.name);
        const values = { Type: rt.type, Vendor: info?.vendor ?? '', Version: (info?.version ?? '').slice(0, 32) };
        const row = rows(dm, 'ExecEnv').find((r) => value(r, 'Name') === rt.name);
        if (row) setValues(dm, txn, row.path, values);
        else addRow(dm, txn, 'ExecEnv', { Name: rt.name, Enable: 'true', ...values });
      }
    });
  }

  private get dm(): DataModel {
    if (!this.model) throw new Error('the execution environments are not open');
    return this.model;
  }

  /** Status of the row with these stored values. */
  status(stored: ReadonlyMap<string, string>): ExecEnvStatus {
    if (stored.get('Enable') !== 'true') return 'Disabled';
    return this.info.get(stored.get('Name') ?? '')?.usable ? 'Up' : 'Error';
  }

  /** Why the EE is not usable, for faults. */
  private reason(name: string): string {
    return this.info.get(name)?.reason ?? 'no runtime';
  }

  runtimeFor(eeRef: string): ExecRuntime | undefined {
    const name = value(this.dm.tree.get(objPathOf(eeRef)), 'Name');
    return this.runtimes.find((r) => r.name === name);
  }

  /** The reference of a usable EE (`eeRef` with or without the trailing dot); 7223 otherwise. */
  usable(eeRef: string): string {
    const row = this.dm.tree.get(objPathOf(eeRef));
    if (!row || row.node.name !== 'ExecEnv') throw new SmmFaultError(SmmFault.UnknownExecEnv, `no Execution Environment ${eeRef}`);
    const status = this.status(row.values);
    if (status !== 'Up')
      throw new SmmFaultError(SmmFault.UnknownExecEnv, `${ref(row.path)} is ${status}${status === 'Error' ? ` (${this.reason(value(row, 'Name'))})` : ''}`);
    return ref(row.path);
  }

  /** The EE that runs `kind` DUs (the device's choice when InstallDU names none). */
  forKind(kind: DuKind): string {
    const rt = this.runtimes.find((r) => r.kind === kind);
    const row = rt && rows(this.dm, 'ExecEnv').find((r) => value(r, 'Name') === rt.name);
    if (!row) throw new SmmFaultError(SmmFault.ExecEnvMismatch, `no Execution Environment on this device runs '${kind}' DUs`);
    return this.usable(row.path);
  }
}
