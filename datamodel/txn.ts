/**
 * Transactions: the single writer of the data model (STYLE §2.8).
 *
 * A Txn changes the in-memory tree directly and keeps an undo log, so reads inside the
 * transaction see its own changes, `rollbackTo(savepoint)` undoes part of it (allow_partial
 * handling per requested path), and `commit()` writes the net change set to SQLite in one
 * database transaction before anyone is told about it. If the database write fails the memory
 * changes are undone too, so memory and disk never disagree.
 */
import { InternalError, ResourcesExceededError, UniqueKeyConflictError, UspError } from './errors.js';
import type { InstanceTree } from './instances.js';
import type { ObjInstance } from './instances.js';
import type { ObjectNode, ParamNode } from './nodes.js';
import type { ChangeSet, Store, StoredInstance } from './store.js';

/** What a committed transaction changed; delivered to listeners after commit. */
export type ChangeEvent =
  | { readonly kind: 'value'; readonly objPath: string; readonly name: string; readonly oldValue: string; readonly newValue: string }
  | { readonly kind: 'created'; readonly objPath: string; readonly node: ObjectNode }
  | { readonly kind: 'deleted'; readonly objPath: string; readonly node: ObjectNode };

type UndoEntry =
  | { readonly t: 'value'; readonly inst: ObjInstance; readonly name: string; readonly old: string | undefined }
  | { readonly t: 'created'; readonly inst: ObjInstance }
  | { readonly t: 'deleted'; readonly inst: ObjInstance }
  | { readonly t: 'counter'; readonly key: string; readonly old: number | undefined }
  | { readonly t: 'live'; readonly index: number };

interface LiveSet {
  readonly param: ParamNode;
  readonly objPath: string;
  readonly value: string;
}

/** Hard cap on instance numbers: beyond it a table is considered exhausted (7005). */
export const MAX_INSTANCE_NUMBER = 2_147_483_647;

export interface TxnHost {
  readonly tree: InstanceTree;
  readonly store: Store;
  readonly counters: Map<string, number>;
  /** Called with the committed changes; runs listeners and after-commit hooks. */
  committed(events: ChangeEvent[], live: LiveSet[], created: ObjInstance[], deleted: ObjInstance[]): Promise<void>;
}

/** True when `name` is part of a unique key of table `node`, or its enable parameter (which decides whether functional keys count). */
function isKeyParam(node: ObjectNode, name: string): boolean {
  return node.def.enableParameter === name || node.uniqueKeys.some((uk) => uk.params.includes(name));
}

export class Txn {
  private readonly undo: UndoEntry[] = [];
  private readonly live: LiveSet[] = [];
  private done = false;

  constructor(private readonly host: TxnHost) {}

  /** A point to roll back to (for per-object allow_partial handling). */
  savepoint(): number {
    return this.undo.length;
  }

  /** Undoes everything done since `sp`. */
  rollbackTo(sp: number): void {
    const { tree, counters } = this.host;
    while (this.undo.length > sp) {
      const u = this.undo.pop() as UndoEntry;
      switch (u.t) {
        case 'value':
          if (u.old === undefined) u.inst.values.delete(u.name);
          else u.inst.values.set(u.name, u.old);
          break;
        case 'created':
          tree.unlink(u.inst);
          break;
        case 'deleted':
          tree.link(u.inst);
          break;
        case 'counter':
          if (u.old === undefined) counters.delete(u.key);
          else counters.set(u.key, u.old);
          break;
        case 'live':
          this.live.length = u.index;
          break;
      }
    }
  }

  /** Undoes the whole transaction. */
  rollback(): void {
    this.rollbackTo(0);
    this.done = true;
  }

  /** Sets a param to an already validated canonical value. Live params are written after commit. */
  setValue(inst: ObjInstance, param: ParamNode, value: string): void {
    this.assertOpen();
    if (param.set) {
      this.undo.push({ t: 'live', index: this.live.length });
      this.live.push({ param, objPath: inst.path, value });
      return;
    }
    if (!param.stored) throw new InternalError(`${inst.path}${param.def.name} is not writable storage`);
    const name = param.def.name;
    this.undo.push({ t: 'value', inst, name, old: inst.values.get(name) });
    inst.values.set(name, value);
  }

  /** Creates a row of `table` under `parent` with its default values; `num` picks the instance number (seeding, restore). */
  addRow(parent: ObjInstance, table: ObjectNode, num?: number): ObjInstance {
    this.assertOpen();
    const key = `${parent.path}${table.name}.`;
    const next = this.host.counters.get(key) ?? 1;
    const n = num ?? next;
    if (parent.tables.get(table.name)?.has(n)) throw new InternalError(`${key}${n}. already exists`);
    if (n > MAX_INSTANCE_NUMBER) throw new ResourcesExceededError(`${key} has used up its instance numbers`, key);
    if (n >= next) {
      this.undo.push({ t: 'counter', key, old: this.host.counters.get(key) });
      this.host.counters.set(key, n + 1);
    }
    const inst = this.host.tree.createRow(parent, table, n);
    this.undo.push({ t: 'created', inst });
    for (const i of this.host.tree.subtree(inst)) {
      for (const p of i.node.params.values()) if (p.stored) i.values.set(p.def.name, p.defaultValue);
    }
    return inst;
  }

  /** Removes a row and everything below it. */
  deleteRow(inst: ObjInstance): void {
    this.assertOpen();
    if (!inst.parent || !inst.node.isTable) throw new InternalError(`${inst.path} is not a table row`);
    this.host.tree.unlink(inst);
    this.undo.push({ t: 'deleted', inst });
  }

  /**
   * Checks unique keys of every table touched since `sp` (R-ADD, R-SET: evaluated after the
   * whole request). Rows whose enable parameter is false may share functional keys.
   *
   * Only rows added, or with a changed key or enable parameter, since `sp` can break a key: the
   * keys held before (the previous checks saw to that). So only tables with such rows are
   * scanned, and in them only rows whose key equals one of theirs are looked at closely. Without
   * that, a Set or Add of thousands of objects (one check per object) compared every row with
   * every other each time: quadratic, seconds of a locked agent.
   */
  checkUniqueKeys(sp = 0): void {
    const tables = new Map<string, { parent: ObjInstance; node: ObjectNode; rows: Set<ObjInstance> }>();
    const touch = (row: ObjInstance): void => {
      if (!row.parent) return;
      const key = `${row.parent.path}${row.node.name}.`;
      let t = tables.get(key);
      if (!t) tables.set(key, (t = { parent: row.parent, node: row.node, rows: new Set() }));
      t.rows.add(row);
    };
    for (let k = sp; k < this.undo.length; k++) {
      const u = this.undo[k] as UndoEntry;
      if (u.t === 'created') {
        for (let i: ObjInstance | undefined = u.inst; i; i = i.parent) if (i.node.isTable) touch(i);
      } else if (u.t === 'value' && u.inst.node.isTable && isKeyParam(u.inst.node, u.name)) {
        touch(u.inst);
      }
    }
    for (const [key, { parent, node, rows }] of tables) {
      if (!this.host.tree.get(parent.path)) continue;
      const enable = node.def.enableParameter;
      for (const uk of node.uniqueKeys) {
        const counted = (row: ObjInstance): boolean => !(uk.functional && enable && row.values.get(enable) === 'false');
        const tuple = (row: ObjInstance): string => {
          const vals = uk.params.map((p) => row.values.get(p) ?? node.params.get(p)?.defaultValue ?? '');
          return vals.length === 1 ? (vals[0] as string) : JSON.stringify(vals);
        };
        const suspects = new Set<string>();
        for (const row of rows) if (counted(row)) suspects.add(tuple(row));
        const seen = new Map<string, number>();
        for (const row of parent.rows(node.name)) {
          if (!counted(row)) continue;
          const t = tuple(row);
          if (!suspects.has(t)) continue;
          const other = seen.get(t);
          if (other !== undefined) {
            throw new UniqueKeyConflictError(
              `${key}${row.num}. and ${key}${other}. have the same ${uk.params.join('+')} (${uk.params.map((p) => row.values.get(p) ?? '').join(', ')})`,
              `${key}${row.num}.`,
            );
          }
          seen.set(t, row.num);
        }
      }
    }
  }

  /** Writes the net changes to SQLite, then tells listeners. All or nothing. */
  async commit(): Promise<ChangeEvent[]> {
    this.assertOpen();
    this.done = true;
    const { tree, store } = this.host;
    const alive = (i: ObjInstance): boolean => tree.get(i.path) === i;
    const createdSet = new Set<ObjInstance>();
    for (const u of this.undo) if (u.t === 'created') createdSet.add(u.inst);
    // Rows created inside a row that is itself new are written with their ancestor.
    const inCreated = (i: ObjInstance | undefined): boolean => {
      for (let a = i; a; a = a.parent) if (createdSet.has(a)) return true;
      return false;
    };
    const createdAlive = [...createdSet].filter((r) => alive(r) && !inCreated(r.parent));
    const deletedOld = this.undo.filter((u): u is { t: 'deleted'; inst: ObjInstance } => u.t === 'deleted' && !createdSet.has(u.inst) && !alive(u.inst)).map((u) => u.inst);

    const values: { obj: string; name: string; value: string }[] = [];
    const events: ChangeEvent[] = [];
    const firstOld = new Map<string, { inst: ObjInstance; name: string; old: string | undefined }>();
    for (const u of this.undo) {
      if (u.t !== 'value' || inCreated(u.inst) || !alive(u.inst)) continue;
      const key = u.inst.path + u.name;
      if (!firstOld.has(key)) firstOld.set(key, { inst: u.inst, name: u.name, old: u.old });
    }
    for (const { inst, name, old } of firstOld.values()) {
      const now = inst.values.get(name);
      if (now === undefined) continue;
      values.push({ obj: inst.path, name, value: now });
      const param = inst.node.params.get(name);
      const oldValue = old ?? param?.defaultValue ?? '';
      if (oldValue !== now) events.push({ kind: 'value', objPath: inst.path, name, oldValue, newValue: now });
    }
    const created: StoredInstance[] = [];
    for (const row of createdAlive) {
      for (const i of tree.subtree(row)) {
        if (i.node.isTable) {
          created.push({ path: i.path, num: i.num });
          events.push({ kind: 'created', objPath: i.path, node: i.node });
        }
        for (const [name, value] of i.values) values.push({ obj: i.path, name, value });
      }
    }
    const deletedRows: ObjInstance[] = [];
    for (const row of deletedOld) {
      // Children first, so ObjectDeletion for nested rows precedes their parent's. Rows added
      // in this same transaction were never announced, so their deletion is not either.
      const sub = [...tree.subtree(row)].filter((i) => i.node.isTable && !inCreated(i)).reverse();
      for (const i of sub) events.push({ kind: 'deleted', objPath: i.path, node: i.node });
      deletedRows.push(row);
    }
    // Counters of tables inside deleted rows are dropped (their numbers can never be needed
    // again); one bumped in this transaction must not be written back after the delete.
    const underDeleted = (key: string): boolean => deletedOld.some((r) => key.startsWith(r.path));
    const counters = new Map<string, number>();
    for (const u of this.undo) if (u.t === 'counter' && !underDeleted(u.key)) counters.set(u.key, this.host.counters.get(u.key) ?? 1);

    const cs: ChangeSet = { deleted: deletedOld.map((r) => r.path), created, values, counters };
    try {
      if (cs.deleted.length || cs.created.length || cs.values.length || cs.counters.size) store.apply(cs);
    } catch (e) {
      this.done = false;
      this.rollback();
      throw UspError.is(e) ? e : new InternalError(`commit failed: ${(e as Error).message}`);
    }
    // Only now, so that a failed write leaves memory exactly as the database still has it.
    for (const k of [...this.host.counters.keys()]) if (underDeleted(k)) this.host.counters.delete(k);
    await this.host.committed(events, this.live, createdAlive, deletedRows);
    return events;
  }

  get isDone(): boolean {
    return this.done;
  }

  private assertOpen(): void {
    if (this.done) throw new InternalError('transaction already finished');
  }
}
