/**
 * Running commands and the Request table (TR-369 §Defined Operations Mechanism, R-OPR.0-4;
 * TR-181 Device.LocalAgent.Request.{i}).
 *
 * A sync command runs inside the Operate message's locked section. An async command gets a
 * Request row (Originator, Command, CommandKey, Status Requested) in that section, and runs
 * after it: its first transaction (Status Active) queues behind the message, so the command
 * starts once the response is built and never holds the lock except for its own transactions.
 * When it ends, Status becomes Success, Error or Canceled, the row is removed and the
 * EventSink hears OperationComplete (output args, or the error; Cancel() gives 7023).
 *
 * Requests are not persisted across restarts: rows left by a previous run are removed at
 * start-up, except those of persistent commands (ScheduleTimer, TP-469 1.79), whose command,
 * input and start time are kept in the database `meta` and which run again.
 */
import { CommandFailureError, InternalError, ResourcesExceededError, UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { CommandArgs, CommandContext, CommandNode } from '../../datamodel/nodes.js';
import type { Txn } from '../../datamodel/txn.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { NO_EVENTS } from '../notify/events.js';
import type { EventSink, OperationResult } from '../notify/events.js';

const AGENT = 'Device.LocalAgent.';
const PERSISTED_KEY = 'operate.persistent';
const CANCELED: number = UspErrorCode.CommandCanceled;

/** One command to run on one object. */
export interface Invocation {
  readonly cmd: CommandNode;
  /** Instance path of the object holding the command, e.g. `Device.` or `Device.LocalAgent.Request.3.`. */
  readonly objPath: string;
  /** Checked input arguments (agent/operate/args.ts). */
  readonly input: CommandArgs;
  readonly commandKey: string;
  /** Endpoint ID of the requester ('' for the admin CLI). */
  readonly originator: string;
}

interface Persisted {
  readonly command: string;
  readonly input: CommandArgs;
  readonly commandKey: string;
  readonly originator: string;
  readonly startedAt: number;
}

class CanceledError extends UspError {
  constructor() {
    super(UspErrorCode.CommandCanceled, 'the command was canceled through Request.{i}.Cancel()');
  }
}

/**
 * cmd_failure codes (§The Operate Message), plus the transfer fault codes TR-181 defines for its
 * download commands (7032 Unavailable Resource … 7037, e.g. 7033 Server Unreachable, 7035 Corrupt
 * Data in InstallDU() and Download()): anything else a runner throws is reported as 7022 with its message.
 */
function failureCode(code: number): number {
  const ok =
    (code >= 7002 && code <= 7008) ||
    [7016, 7022, 7023, 7027].includes(code) ||
    (code >= 7032 && code <= 7037) ||
    (code >= 7200 && code <= 7299) ||
    (code >= 7800 && code <= 7999);
  return ok ? code : UspErrorCode.CommandFailure;
}

function setParam(txn: Txn, row: ObjInstance, name: string, value: string): void {
  const p = row.node.params.get(name);
  if (!p) throw new InternalError(`${row.path}${name} is not in the data model`);
  txn.setValue(row, p, value);
}

export interface RequestTableOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly events?: EventSink;
}

export class RequestTable {
  /** Where OperationComplete goes; the composition root points it at the notifier. */
  events: EventSink;
  private model: DataModel | undefined;
  private readonly running = new Map<string, AbortController>();
  private stopped = false;

  constructor(private readonly opts: RequestTableOptions) {
    this.events = opts.events ?? NO_EVENTS;
  }

  private get dm(): DataModel {
    if (!this.model) throw new InternalError('the Request table is not open');
    return this.model;
  }

  /** Start-up: removes Request rows of the previous run and resumes persistent commands. */
  async open(dm: DataModel): Promise<void> {
    this.model = dm;
    const records = this.readPersisted();
    const resume: { rowPath: string; inv: Invocation; startedAt: number }[] = [];
    await dm.transaction((txn) => {
      for (const row of [...(dm.tree.get(AGENT)?.rows('Request') ?? [])]) {
        const rec = records[row.path];
        const at = rec && this.commandAt(rec.command);
        if (rec && at?.cmd.persistent) {
          setParam(txn, row, 'Status', 'Requested');
          resume.push({
            rowPath: row.path,
            inv: { ...at, input: rec.input, commandKey: rec.commandKey, originator: rec.originator },
            startedAt: rec.startedAt,
          });
        } else {
          txn.deleteRow(row);
        }
      }
    });
    if (Object.keys(records).length !== resume.length) this.writePersisted(Object.fromEntries(resume.map((r) => [r.rowPath, records[r.rowPath] as Persisted])));
    for (const r of resume) this.launch(r.rowPath, r.inv, r.startedAt);
    if (resume.length > 0) this.opts.log.info('OPR-I01', `resumed ${resume.map((r) => r.rowPath).join(', ')}`);
  }

  /** Runs a sync command; the caller (the Operate handler) holds the data-model lock. */
  async runSync(inv: Invocation): Promise<OperationResult> {
    const dm = this.dm;
    const ctx = this.context(inv, this.opts.clock.now(), new AbortController().signal, async (fn) => {
      const txn = dm.begin();
      try {
        const result = await fn(txn, dm.tree);
        await txn.commit();
        return result;
      } catch (e) {
        if (!txn.isDone) txn.rollback();
        throw e;
      }
    });
    try {
      return { ok: true, outputArgs: { ...(await this.runner(inv)(inv.input, ctx)) } };
    } catch (e) {
      return this.failure(e, inv);
    }
  }

  /**
   * Creates the Request row of an async command (the caller holds the lock) and starts the
   * command after the current locked section. Returns `Device.LocalAgent.Request.<n>` (R-OPR.0).
   */
  async startAsync(inv: Invocation): Promise<string> {
    const dm = this.dm;
    const parent = dm.tree.get(AGENT);
    const table = parent?.node.children.get('Request');
    if (!parent || !table) throw new InternalError('Device.LocalAgent.Request.{i}. is not in the data model');
    const command = inv.objPath + inv.cmd.def.name;
    for (const r of parent.rows('Request')) {
      const v = (n: string): string | undefined => r.values.get(n);
      if (v('Originator') === inv.originator && v('Command') === command && v('CommandKey') === inv.commandKey) {
        throw new CommandFailureError(`${r.path} already runs ${command} for this controller with command_key '${inv.commandKey}'; use another command_key`);
      }
    }
    if (parent.rowCount('Request') >= table.maxEntries) throw new ResourcesExceededError(`too many commands running (${table.maxEntries})`);
    const startedAt = this.opts.clock.now();
    const txn = dm.begin();
    let row: ObjInstance;
    try {
      row = txn.addRow(parent, table);
      const values = { Alias: `cpe-${row.num}`, Originator: inv.originator, Command: command, CommandKey: inv.commandKey, Status: 'Requested' };
      for (const [name, value] of Object.entries(values)) setParam(txn, row, name, value);
      await txn.commit();
    } catch (e) {
      if (!txn.isDone) txn.rollback();
      throw e;
    }
    if (inv.cmd.persistent) {
      const rec: Persisted = { command, input: inv.input, commandKey: inv.commandKey, originator: inv.originator, startedAt };
      this.writePersisted({ ...this.readPersisted(), [row.path]: rec });
    }
    this.launch(row.path, inv, startedAt);
    return row.path.slice(0, -1);
  }

  /** For Cancel(): checks that `rowPath` has a running command and returns what aborts it. */
  canceler(rowPath: string): () => void {
    const c = this.running.get(rowPath);
    if (!c || c.signal.aborted) throw new CommandFailureError(`${rowPath} has no running command to cancel`);
    return () => c.abort(new CanceledError());
  }

  /** Agent stop: aborts running commands without reporting them; their rows are dealt with at the next start. */
  stop(): void {
    this.stopped = true;
    for (const c of this.running.values()) c.abort(new Error('the agent is stopping'));
    this.running.clear();
  }

  private launch(rowPath: string, inv: Invocation, startedAt: number): void {
    const controller = new AbortController();
    this.running.set(rowPath, controller);
    this.execute(rowPath, inv, startedAt, controller.signal).catch((e: unknown) => {
      if (!this.stopped) this.opts.log.error('OPR-E02', `finishing ${rowPath} failed`, e);
    });
  }

  private async execute(rowPath: string, inv: Invocation, startedAt: number, signal: AbortSignal): Promise<void> {
    const dm = this.dm;
    const status = (value: string) => (txn: Txn) => {
      const row = dm.tree.get(rowPath);
      if (row) setParam(txn, row, 'Status', value);
    };
    let result: OperationResult;
    try {
      // Queued behind the Operate message's locked section: the command starts after the response is built.
      await dm.transaction((txn) => (signal.aborted ? undefined : status('Active')(txn)));
      signal.throwIfAborted();
      const ctx = this.context(inv, startedAt, signal, (fn) => dm.transaction((txn) => fn(txn, dm.tree)));
      result = { ok: true, outputArgs: { ...(await this.runner(inv)(inv.input, ctx)) } };
    } catch (e) {
      if (this.stopped) return;
      result = signal.reason instanceof CanceledError ? this.failure(signal.reason, inv) : this.failure(e, inv);
    } finally {
      if (this.running.get(rowPath)?.signal === signal) this.running.delete(rowPath);
    }
    if (this.stopped) return;
    await dm.transaction(status(result.ok ? 'Success' : result.errCode === CANCELED ? 'Canceled' : 'Error'));
    await dm.transaction((txn) => {
      const row = dm.tree.get(rowPath);
      if (row) txn.deleteRow(row);
    });
    if (inv.cmd.persistent) {
      const records = this.readPersisted();
      delete records[rowPath];
      this.writePersisted(records);
    }
    this.events.operationComplete(inv.objPath, inv.cmd.def.name, inv.commandKey, result);
  }

  private context(inv: Invocation, startedAt: number, signal: AbortSignal, transaction: CommandContext['transaction']): CommandContext {
    return { objPath: inv.objPath, commandKey: inv.commandKey, requestor: inv.originator, signal, startedAt, transaction };
  }

  private runner(inv: Invocation): NonNullable<CommandNode['run']> {
    if (!inv.cmd.run) throw new InternalError(`${inv.objPath}${inv.cmd.def.name} has no implementation`);
    return inv.cmd.run;
  }

  /** A thrown UspError keeps its code and message; anything else is logged and reported as 7003 (STYLE §4). */
  private failure(e: unknown, inv: Invocation): OperationResult & { ok: false } {
    if (UspError.is(e)) return { ok: false, errCode: failureCode(e.code), errMsg: e.message };
    this.opts.log.error('OPR-E01', `${inv.objPath}${inv.cmd.def.name} failed`, e);
    return { ok: false, errCode: UspErrorCode.InternalError, errMsg: 'internal error' };
  }

  /** The command node and object for a concrete command path such as `Device.ScheduleTimer()`. */
  private commandAt(path: string): { cmd: CommandNode; objPath: string } | undefined {
    const dot = path.lastIndexOf('.');
    const objPath = path.slice(0, dot + 1);
    const cmd = this.dm.tree.get(objPath)?.node.commands.get(path.slice(dot + 1));
    return cmd ? { cmd, objPath } : undefined;
  }

  private readPersisted(): Record<string, Persisted> {
    const raw = this.dm.store.getMeta(PERSISTED_KEY);
    try {
      return raw ? (JSON.parse(raw) as Record<string, Persisted>) : {};
    } catch (e) {
      this.opts.log.warn('OPR-W01', `unreadable ${PERSISTED_KEY} record in the database; persistent requests are lost`, e);
      return {};
    }
  }

  private writePersisted(records: Record<string, Persisted>): void {
    this.dm.store.setMeta(PERSISTED_KEY, JSON.stringify(records));
  }
}
