/**
 * The supported data model as a tree of nodes: one ObjectNode per supported object path
 * (`Device.LocalAgent.Controller.{i}.`), with its parameters, commands and events. Built by the
 * Registry from the generated TR-181 schema plus whatever the agent's subsystems and vendors
 * register; frozen once the agent starts.
 */
import type { InstanceTree } from './instances.js';
import type { CommandDef, EventDef, ObjectDef, ParamDef, UniqueKeyDef } from './schema/types.js';
import type { Txn } from './txn.js';

/** Where a live parameter is read or written: the object instance it belongs to. */
export interface ParamContext {
  /** Instance path of the owning object, e.g. `Device.IP.Interface.2.`. */
  readonly objPath: string;
  /** Parameter name, e.g. `Status`. */
  readonly name: string;
  /** Stored values of the owning instance, so a live value can depend on a stored sibling. */
  readonly stored: ReadonlyMap<string, string>;
}

export type Getter = (ctx: ParamContext) => string | Promise<string>;
export type Setter = (ctx: ParamContext, value: string) => void | Promise<void>;
/** Validates an already type-checked value; throws a UspError (usually InvalidValueError). */
export type Validator = (value: string, ctx: ParamContext) => void;

export interface ParamNode {
  readonly def: ParamDef;
  readonly owner: ObjectNode;
  /** Stored params live in SQLite; the others have a getter (live) or are derived. */
  stored: boolean;
  get: Getter | undefined;
  set: Setter | undefined;
  validate: Validator | undefined;
  /** For `<Table>NumberOfEntries`: the table whose rows are counted. */
  countOf: ObjectNode | undefined;
  /** Value a new instance gets (object default, else the type's zero value). */
  defaultValue: string;
  /** True when ValueChange on this param can never fire (activeNotify denied, or counters). */
  valueChangeDenied: boolean;
}

/** Context handed to command implementations. */
export interface CommandContext {
  /** Instance path of the object holding the command, e.g. `Device.DeviceInfo.FirmwareImage.2.`. */
  readonly objPath: string;
  readonly commandKey: string;
  /** Endpoint ID of the requesting controller ('' for the admin CLI). */
  readonly requestor: string;
  /** Aborted when the Request row is canceled, or when the agent stops (async commands). */
  readonly signal: AbortSignal;
  /**
   * When the command was requested (ms since the epoch). A persistent command resumed after a
   * restart gets its original time, so it can continue where it left off.
   */
  readonly startedAt: number;
  /**
   * Runs `fn` in one data-model transaction and commits it. A sync command runs inside the
   * Operate message's locked section, so this never takes the lock again; an async command runs
   * outside it, and this takes the lock for just this transaction.
   */
  transaction<T>(fn: (txn: Txn, tree: InstanceTree) => Promise<T> | T): Promise<T>;
}

export type CommandArgs = Readonly<Record<string, string>>;
export type CommandRunner = (input: CommandArgs, ctx: CommandContext) => Promise<CommandArgs> | CommandArgs;

export interface CommandNode {
  readonly def: CommandDef;
  readonly owner: ObjectNode;
  run: CommandRunner | undefined;
  /** An async command that survives an agent restart: it runs again, with its input and `startedAt` (TP-469 1.79). */
  persistent: boolean;
}

export interface EventNode {
  readonly def: EventDef;
  readonly owner: ObjectNode;
}

/** Who creates a row through an Add message, as the data model sees it. */
export interface RowCreator {
  /** Instance path of the creating controller's `Device.LocalAgent.Controller.{i}.` row; undefined for the admin CLI. */
  readonly controllerPath: string | undefined;
}

/** What an `initRow` hook gets: the new row, who creates it, and a way to fill agent-owned values. */
export interface RowInit {
  /** Instance path of the new row, e.g. `Device.LocalAgent.Subscription.3.`. */
  readonly objPath: string;
  readonly creator: RowCreator;
  /** Writes a stored parameter of the new row (canonicalised, without the access checks a controller write gets). */
  set(name: string, value: string): void;
}

/** Hooks a table (or object) registration may attach; they run after the transaction commits unless said otherwise. */
export interface ObjectHooks {
  /**
   * Called by Add inside its transaction, once the row exists with its defaults and before the
   * requested values are applied and missing keys generated: fills values the agent owns, such
   * as `Subscription.{i}.Recipient` and `CreationDate`. Rows the agent creates itself do not call it.
   */
  initRow?: (row: RowInit) => void;
  afterAdd?: (objPath: string) => void | Promise<void>;
  afterDelete?: (objPath: string) => void | Promise<void>;
  /** Called inside the transaction before a row is deleted; throw to refuse the delete. */
  beforeDelete?: (objPath: string) => void;
}

/** One row of a live table as the device reports it at this moment. */
export interface LiveRow {
  /** Identifies the row from one reading to the next (an interface name, a PID): the same key keeps its instance number. */
  readonly key: string;
  /** Values by parameter name; `Stats.BytesSent` names a parameter of a single-instance child object of the row. */
  readonly values: Readonly<Record<string, string>>;
}

/** The instance a live table hangs off (the parent row for a nested live table, e.g. `Device.IP.Interface.2.`). */
export interface LiveParent {
  readonly path: string;
  /** Its current values (for a live parent row: what its own reading gave, e.g. `Name`). */
  readonly values: ReadonlyMap<string, string>;
}

/**
 * A table whose rows mirror the device (interfaces, processes) instead of being stored: they are
 * read from `rows` when a message reaches the table, reused for `maxAgeMs`, never written to
 * SQLite, and the table and its parameters are read-only to controllers.
 */
export interface LiveTable {
  rows(parent: LiveParent): readonly LiveRow[];
  readonly maxAgeMs: number;
}

export interface ObjectNode {
  /** Supported path, e.g. `Device.LocalAgent.Controller.{i}.` (`Device.` for the root). */
  readonly path: string;
  /** Last name segment, e.g. `Controller` (`Device` for the root). */
  readonly name: string;
  readonly parent: ObjectNode | undefined;
  /** Schema facts; the registry replaces it before freezing when a table becomes live (read-only). */
  def: ObjectDef;
  readonly isTable: boolean;
  readonly children: Map<string, ObjectNode>;
  readonly params: Map<string, ParamNode>;
  readonly commands: Map<string, CommandNode>;
  readonly events: Map<string, EventNode>;
  readonly uniqueKeys: readonly UniqueKeyDef[];
  hooks: ObjectHooks;
  /** Maximum rows (tables only); Infinity when unbounded. */
  readonly maxEntries: number;
  /** Set when this table's rows come from the device (see LiveTable). */
  live: LiveTable | undefined;
  /** Child tables that are live, so instances check only these before listing rows. */
  readonly liveTables: ObjectNode[];
}
