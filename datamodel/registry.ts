/**
 * The registration API: the one way the agent's own subsystems and vendors declare objects,
 * tables, parameters, commands and events, and attach behaviour (getters, setters, validators,
 * command runners, row hooks). Built-in TR-181 objects come from the generated schema; a
 * registration either adds behaviour to a schema item or declares a new (vendor) one.
 *
 * Registration happens only while the agent initialises; `freeze()` ends it, and a duplicate or
 * an unknown parent path fails start-up (STYLE §5).
 */
import { InternalError } from './errors.js';
import { defaultValueFor } from './types.js';
import type {
  CommandNode,
  CommandRunner,
  EventNode,
  Getter,
  LiveParent,
  LiveRow,
  ObjectHooks,
  ObjectNode,
  ParamNode,
  Setter,
  Validator,
} from './nodes.js';
import type { ArgDef, ArgListDef, ObjectDef, ParamAccess, ParamDef, UniqueKeyDef, ValueFacets } from './schema/types.js';

export interface ParamOptions extends Partial<ValueFacets> {
  access?: ParamAccess;
  /** Default for new instances / unset values (canonical string). */
  default?: string;
  /** Live value: read from the device instead of the database. */
  get?: Getter;
  /** Live write: called after the transaction commits (requires readWrite access). */
  set?: Setter;
  /** Extra validation after type checking. */
  validate?: Validator;
  secured?: boolean;
  /** Refuse ValueChange subscriptions on this parameter. */
  denyValueChange?: boolean;
}

export interface ObjectOptions extends ObjectHooks {
  access?: 'readOnly' | 'readWrite';
  uniqueKeys?: readonly UniqueKeyDef[];
  minEntries?: number;
  maxEntries?: number | 'unbounded';
  /**
   * Makes a table live: its rows are whatever this returns when a message reaches the table
   * (read again at most every `maxAgeMs`), never stored, and read-only to controllers.
   */
  rows?: (parent: LiveParent) => readonly LiveRow[];
  /** How long one reading of `rows` is reused, in ms (default 1000). */
  maxAgeMs?: number;
}

export interface CommandOptions {
  mode?: 'sync' | 'async';
  input?: readonly (string | ArgDef)[];
  output?: readonly (string | ArgDef)[];
  /** Async only: the request survives an agent restart and the runner is called again (see CommandContext.startedAt). */
  persistent?: boolean;
  run: CommandRunner;
}

export interface EventOptions {
  args?: readonly (string | ArgDef)[];
}

/** Splits `Device.A.{i}.B` into object path `Device.A.{i}.` and leaf `B`. */
function splitLeaf(path: string): [string, string] {
  const dot = path.lastIndexOf('.', path.length - 2);
  if (dot < 0 || path.endsWith('.')) throw new InternalError(`registry: '${path}' is not an item path`);
  return [path.slice(0, dot + 1), path.slice(dot + 1)];
}

function toArg(a: string | ArgDef): ArgDef {
  return typeof a === 'string' ? { name: a, type: 'string' } : a;
}

export class Registry {
  private readonly nodes = new Map<string, ObjectNode>();
  private frozen = false;
  readonly root: ObjectNode;

  constructor(schema: readonly ObjectDef[]) {
    const rootDef = schema.find((o) => o.path === 'Device.');
    this.root = this.makeNode(
      rootDef ?? { path: 'Device.', access: 'readOnly', multiInstance: false, minEntries: 1, maxEntries: 1, params: [], commands: [], events: [] },
      undefined,
    );
    // Parents sort before children, so a single pass in path order links every node.
    for (const def of [...schema].sort((a, b) => a.path.length - b.path.length)) {
      if (def.path !== 'Device.') this.addObject(def);
    }
  }

  /** All supported object nodes, parents before children. */
  allNodes(): IterableIterator<ObjectNode> {
    return this.nodes.values();
  }

  /** The node for a supported object path (`Device.X.{i}.`), or undefined. */
  node(path: string): ObjectNode | undefined {
    return this.nodes.get(path);
  }

  /** Declares a new object (single-instance or, with a path ending in `{i}.`, a table), or attaches hooks to an existing one. */
  object(path: string, opts: ObjectOptions = {}): ObjectNode {
    this.assertOpen(path);
    let node = this.nodes.get(path);
    if (!node) {
      const isTable = path.endsWith('.{i}.');
      node = this.addObject({
        path,
        access: opts.access ?? (isTable ? 'readWrite' : 'readOnly'),
        multiInstance: isTable,
        minEntries: opts.minEntries ?? (isTable ? 0 : 1),
        maxEntries: opts.maxEntries ?? (isTable ? 'unbounded' : 1),
        uniqueKeys: opts.uniqueKeys ?? [],
        params: [],
        commands: [],
        events: [],
      });
    }
    if (opts.rows) this.makeLive(node, opts.rows, opts.maxAgeMs ?? 1000);
    const { afterAdd, afterDelete, beforeDelete, initRow } = opts;
    node.hooks = { ...node.hooks, ...(afterAdd && { afterAdd }), ...(afterDelete && { afterDelete }), ...(beforeDelete && { beforeDelete }), ...(initRow && { initRow }) };
    return node;
  }

  /** Same as object(), for table paths (`Device.Foo.Item.{i}.`). */
  table(path: string, opts: ObjectOptions = {}): ObjectNode {
    if (!path.endsWith('.{i}.')) throw new InternalError(`registry: table path '${path}' must end in '.{i}.'`);
    return this.object(path, opts);
  }

  /** Declares a parameter or attaches behaviour to a schema parameter. */
  param(path: string, opts: ParamOptions): ParamNode {
    this.assertOpen(path);
    const [objPath, name] = splitLeaf(path);
    const owner = this.requireNode(objPath, path);
    let p = owner.params.get(name);
    if (!p) {
      if (!opts.type) throw new InternalError(`registry: new parameter '${path}' needs a type`);
      const def: ParamDef = { ...(opts as ValueFacets), name, access: opts.access ?? 'readOnly', ...(opts.secured ? { secured: true } : {}) };
      p = this.makeParam(def, owner);
      owner.params.set(name, p);
    } else if (p.get || p.set || p.validate || p.countOf) {
      throw new InternalError(`registry: parameter '${path}' registered twice`);
    }
    if (opts.default !== undefined) p.defaultValue = opts.default;
    if (opts.get) {
      p.get = opts.get;
      p.stored = false;
    }
    if (opts.set) {
      if (!opts.get) throw new InternalError(`registry: '${path}' has a setter but no getter`);
      p.set = opts.set;
    }
    if (opts.validate) p.validate = opts.validate;
    if (opts.denyValueChange) p.valueChangeDenied = true;
    return p;
  }

  /** Attaches an implementation to a schema command or declares a vendor command. */
  command(path: string, opts: CommandOptions): CommandNode {
    this.assertOpen(path);
    const [objPath, name] = splitLeaf(path);
    if (!name.endsWith('()')) throw new InternalError(`registry: command '${path}' must end in '()'`);
    const owner = this.requireNode(objPath, path);
    let c = owner.commands.get(name);
    if (!c) {
      const argList = (l: readonly (string | ArgDef)[] | undefined): ArgListDef | undefined => (l ? { params: l.map(toArg) } : undefined);
      const input = argList(opts.input);
      const output = argList(opts.output);
      c = { def: { name, async: opts.mode === 'async', ...(input && { input }), ...(output && { output }) }, owner, run: undefined, persistent: false };
      owner.commands.set(name, c);
    } else if (c.run) {
      throw new InternalError(`registry: command '${path}' registered twice`);
    }
    if (opts.persistent && !c.def.async) throw new InternalError(`registry: only an async command can be persistent ('${path}')`);
    c.run = opts.run;
    c.persistent = opts.persistent ?? false;
    return c;
  }

  /** Declares a vendor event (schema events need no registration). */
  event(path: string, opts: EventOptions = {}): EventNode {
    this.assertOpen(path);
    const [objPath, name] = splitLeaf(path);
    if (!name.endsWith('!')) throw new InternalError(`registry: event '${path}' must end in '!'`);
    const owner = this.requireNode(objPath, path);
    const existing = owner.events.get(name);
    if (existing) {
      if (opts.args) throw new InternalError(`registry: event '${path}' already defined`);
      return existing;
    }
    const e: EventNode = { def: { name, args: (opts.args ?? []).map(toArg) }, owner };
    owner.events.set(name, e);
    return e;
  }

  /**
   * Ends registration; the model is fixed from here on. Schema commands nobody implemented are
   * dropped: the supported data model (GetSupportedDM) lists only commands that run, and an
   * Operate on any other is an invalid path (7026), not a command that always fails.
   */
  freeze(): void {
    for (const node of this.nodes.values()) for (const [name, c] of node.commands) if (!c.run) node.commands.delete(name);
    for (const node of this.nodes.values()) {
      // A vendor table's `<Name>NumberOfEntries`, declared like any parameter, counts its rows too.
      const counter = node.isTable ? node.parent?.params.get(`${node.name}NumberOfEntries`) : undefined;
      if (counter && !counter.countOf && !counter.get) {
        counter.countOf = node;
        counter.stored = false;
      }
    }
    for (const node of this.nodes.values()) if (node.live) this.liveParams(node);
    this.frozen = true;
  }

  private makeLive(node: ObjectNode, rows: (parent: LiveParent) => readonly LiveRow[], maxAgeMs: number): void {
    if (!node.isTable || !node.parent) throw new InternalError(`registry: only a table can be live ('${node.path}')`);
    if (node.live) throw new InternalError(`registry: table '${node.path}' is already live`);
    node.live = { rows, maxAgeMs };
    // The device owns these rows: a controller can neither add nor delete them.
    node.def = { ...node.def, access: 'readOnly' };
    node.parent.liveTables.push(node);
  }

  /**
   * Parameters of a live row (and of its single-instance sub-objects) read the row's latest
   * reading through a getter: that makes them read-only to Set and GetSupportedDM, keeps them out
   * of SQLite, and lets ValueChange sample them like any other live value. Registered getters win.
   */
  private liveParams(node: ObjectNode): void {
    for (const p of node.params.values()) {
      if (p.get || p.countOf) continue;
      const dflt = p.defaultValue;
      p.get = (ctx) => ctx.stored.get(ctx.name) ?? dflt;
      p.stored = false;
    }
    for (const child of node.children.values()) if (!child.isTable) this.liveParams(child);
  }

  private assertOpen(path: string): void {
    if (this.frozen) throw new InternalError(`registry: '${path}' registered after start-up`);
  }

  private requireNode(objPath: string, forPath: string): ObjectNode {
    const node = this.nodes.get(objPath);
    if (!node) throw new InternalError(`registry: '${forPath}' has no parent object '${objPath}'`);
    return node;
  }

  private addObject(def: ObjectDef): ObjectNode {
    const trimmed = def.path.endsWith('.{i}.') ? def.path.slice(0, -4) : def.path;
    const parentPath = trimmed.slice(0, trimmed.lastIndexOf('.', trimmed.length - 2) + 1);
    const parent = this.nodes.get(parentPath);
    if (!parent) throw new InternalError(`registry: object '${def.path}' has no parent '${parentPath}'`);
    const node = this.makeNode(def, parent);
    parent.children.set(node.name, node);
    if (def.numEntriesParameter) {
      const counter = parent.params.get(def.numEntriesParameter);
      if (counter) {
        counter.countOf = node;
        counter.stored = false;
        counter.valueChangeDenied = false;
      }
    }
    return node;
  }

  private makeNode(def: ObjectDef, parent: ObjectNode | undefined): ObjectNode {
    const isTable = def.multiInstance;
    const trimmed = isTable ? def.path.slice(0, -4) : def.path;
    const name = trimmed.slice(trimmed.lastIndexOf('.', trimmed.length - 2) + 1, -1);
    const node: ObjectNode = {
      path: def.path,
      name,
      parent,
      def,
      isTable,
      children: new Map(),
      params: new Map(),
      commands: new Map(),
      events: new Map(),
      uniqueKeys: def.uniqueKeys ?? [],
      hooks: {},
      maxEntries: def.maxEntries === 'unbounded' ? Infinity : def.maxEntries,
      live: undefined,
      liveTables: [],
    };
    for (const p of def.params) node.params.set(p.name, this.makeParam(p, node));
    for (const c of def.commands) node.commands.set(c.name, { def: c, owner: node, run: undefined, persistent: false });
    for (const e of def.events) node.events.set(e.name, { def: e, owner: node });
    this.nodes.set(def.path, node);
    return node;
  }

  private makeParam(def: ParamDef, owner: ObjectNode): ParamNode {
    const dflt = def.default && (def.default.type === 'object' || def.default.type === 'factory') ? def.default.value : undefined;
    return {
      def,
      owner,
      stored: true,
      get: undefined,
      set: undefined,
      validate: undefined,
      countOf: undefined,
      defaultValue: dflt ?? defaultValueFor(def),
      valueChangeDenied: def.activeNotify === 'denied',
    };
  }
}
