/**
 * The data model: supported schema (Registry), instantiated tree in memory (InstanceTree),
 * SQLite (Store), and the one queue through which every read-modify-write runs, so that
 * transactions never interleave (STYLE §2.8: one writer, one transaction at a time).
 */
import { InternalError, UspError } from './errors.js';
import { InstanceTree } from './instances.js';
import type { ObjInstance } from './instances.js';
import type { ParamNode } from './nodes.js';
import type { Registry } from './registry.js';
import type { Store } from './store.js';
import { Txn } from './txn.js';
import type { ChangeEvent } from './txn.js';

export type ChangeListener = (events: readonly ChangeEvent[]) => void;
export type ModelLog = (id: string, msg: string, err?: unknown) => void;

export class DataModel {
  readonly tree: InstanceTree;
  /** Next instance number per instantiated table path (persisted). */
  readonly counters = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<ChangeListener>();

  constructor(
    readonly registry: Registry,
    readonly store: Store,
    private readonly log: ModelLog = () => undefined,
  ) {
    this.tree = new InstanceTree(registry.root, (path, e) => this.log('DM-E06', `reading the live table ${path} failed; its previous rows stay`, e));
  }

  /** Loads everything stored into memory. Rows whose table is no longer supported are skipped (and logged). */
  load(): void {
    const snap = this.store.load();
    const rows = [...snap.instances].sort((a, b) => depth(a.path) - depth(b.path) || a.num - b.num);
    for (const r of rows) {
      const tableKey = r.path.slice(0, r.path.length - String(r.num).length - 1);
      const cut = tableKey.lastIndexOf('.', tableKey.length - 2);
      const parent = this.tree.get(tableKey.slice(0, cut + 1));
      const table = parent?.node.children.get(tableKey.slice(cut + 1, -1));
      if (!parent || !table?.isTable) {
        this.log('DM-W01', `stored row ${r.path} is not in the supported data model; ignored`);
        continue;
      }
      this.tree.createRow(parent, table, r.num);
    }
    for (const p of snap.params) {
      const inst = this.tree.get(p.obj);
      if (inst?.node.params.get(p.name)?.stored) inst.values.set(p.name, p.value);
    }
    for (const [k, v] of snap.counters) this.counters.set(k, v);
    // A row loaded without stored values (older database) still reads its defaults.
    for (const inst of this.tree.subtree(this.tree.root)) {
      if (!inst.node.isTable) continue;
      for (const p of inst.node.params.values()) if (p.stored && !inst.values.has(p.def.name)) inst.values.set(p.def.name, p.defaultValue);
    }
  }

  /** Runs `fn` alone: no other locked section or transaction runs until it settles. */
  lock<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts a transaction. Call only inside `lock` (the dispatcher holds it for each message). */
  begin(): Txn {
    return new Txn({
      tree: this.tree,
      store: this.store,
      counters: this.counters,
      committed: (events, live, created, deleted) => this.afterCommit(events, live, created, deleted),
    });
  }

  /** Locks, runs `fn` in a transaction and commits; any throw rolls everything back. */
  transaction<T>(fn: (txn: Txn) => Promise<T> | T): Promise<T> {
    return this.lock(async () => {
      const txn = this.begin();
      try {
        const result = await fn(txn);
        await txn.commit();
        return result;
      } catch (e) {
        if (!txn.isDone) txn.rollback();
        throw e;
      }
    });
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Current value of a parameter of an instance: stored, live (getter) or derived (row count).
   * Returns a plain string unless a live getter is asynchronous, so hot read paths avoid a
   * promise per parameter.
   */
  read(inst: ObjInstance, param: ParamNode): string | Promise<string> {
    if (param.countOf) return String(inst.rowCount(param.countOf.name));
    if (!param.get) return inst.values.get(param.def.name) ?? param.defaultValue;
    let v: string | Promise<string>;
    try {
      v = param.get({ objPath: inst.path, name: param.def.name, stored: inst.values });
    } catch (e) {
      throw this.readFailure(inst, param, e);
    }
    return typeof v === 'string' ? v : v.catch((e: unknown) => Promise.reject(this.readFailure(inst, param, e)));
  }

  private readFailure(inst: ObjInstance, param: ParamNode, e: unknown): UspError {
    if (UspError.is(e)) return e;
    this.log('DM-E02', `reading ${inst.path}${param.def.name} failed`, e);
    return new InternalError(`reading ${inst.path}${param.def.name} failed`);
  }

  private async afterCommit(
    events: ChangeEvent[],
    live: readonly { param: ParamNode; objPath: string; value: string }[],
    created: readonly ObjInstance[],
    deleted: readonly ObjInstance[],
  ): Promise<void> {
    for (const l of live) {
      try {
        await l.param.set?.({ objPath: l.objPath, name: l.param.def.name, stored: this.tree.get(l.objPath)?.values ?? new Map() }, l.value);
        if (l.param.get) events.push({ kind: 'value', objPath: l.objPath, name: l.param.def.name, oldValue: '', newValue: l.value });
      } catch (e) {
        this.log('DM-E03', `applying ${l.objPath}${l.param.def.name}=${l.value} failed`, e);
      }
    }
    for (const r of created) await this.runHook(() => r.node.hooks.afterAdd?.(r.path), r.path);
    for (const r of deleted) await this.runHook(() => r.node.hooks.afterDelete?.(r.path), r.path);
    if (events.length === 0) return;
    for (const l of this.listeners) {
      try {
        l(events);
      } catch (e) {
        this.log('DM-E04', 'change listener failed', e);
      }
    }
  }

  private async runHook(fn: () => void | Promise<void>, path: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.log('DM-E05', `after-commit hook for ${path} failed`, e);
    }
  }
}

function depth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 46) n++;
  return n;
}
