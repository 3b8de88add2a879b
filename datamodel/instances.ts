/**
 * The instantiated data model in memory: a tree of object instances mirroring what SQLite
 * holds, so that reads never touch the database. Only txn.ts mutates it (single writer).
 */
import type { ObjectNode } from './nodes.js';

export class ObjInstance {
  /** Stored parameter values that differ from "not set" (absent means the param default). */
  readonly values = new Map<string, string>();
  /** Single-instance child objects by name. */
  readonly objects = new Map<string, ObjInstance>();
  /** Rows of child tables by table name, in increasing instance number. */
  readonly tables = new Map<string, Map<number, ObjInstance>>();

  constructor(
    /** Instance path with trailing dot, e.g. `Device.LocalAgent.Controller.2.`. */
    readonly path: string,
    readonly node: ObjectNode,
    readonly parent: ObjInstance | undefined,
    /** Instance number for table rows, 0 for single-instance objects. */
    readonly num: number,
  ) {}

  /** Rows of the child table `name` (empty when none). */
  rows(name: string): Iterable<ObjInstance> {
    return this.tables.get(name)?.values() ?? [];
  }

  rowCount(name: string): number {
    return this.tables.get(name)?.size ?? 0;
  }
}

export class InstanceTree {
  readonly root: ObjInstance;
  private readonly byPath = new Map<string, ObjInstance>();
  /** Highest instance number in each row map, so appends stay O(1). */
  private readonly lastNum = new WeakMap<Map<number, ObjInstance>, number>();

  constructor(rootNode: ObjectNode) {
    this.root = new ObjInstance('Device.', rootNode, undefined, 0);
    this.byPath.set('Device.', this.root);
    this.fillSingles(this.root);
  }

  get(path: string): ObjInstance | undefined {
    return this.byPath.get(path);
  }

  get size(): number {
    return this.byPath.size;
  }

  /** Creates row `num` of `table` under `parent`, with its single-instance children, and links it. */
  createRow(parent: ObjInstance, table: ObjectNode, num: number): ObjInstance {
    const inst = new ObjInstance(`${parent.path}${table.name}.${num}.`, table, parent, num);
    this.link(inst);
    this.fillSingles(inst);
    return inst;
  }

  /** Puts a row (back) into its parent's table, keeping instance-number order. */
  link(inst: ObjInstance): void {
    const parent = inst.parent;
    if (!parent) return;
    let rows = parent.tables.get(inst.node.name);
    if (!rows) {
      rows = new Map();
      parent.tables.set(inst.node.name, rows);
    }
    const last = this.lastNum.get(rows);
    if (last !== undefined && last > inst.num) {
      // Re-linking an older row (rollback): rebuild in number order.
      const sorted = [...rows.values(), inst].sort((a, b) => a.num - b.num);
      rows.clear();
      for (const r of sorted) rows.set(r.num, r);
    } else {
      rows.set(inst.num, inst);
      this.lastNum.set(rows, inst.num);
    }
    this.index(inst);
  }

  /** Removes a row and everything below it. */
  unlink(inst: ObjInstance): void {
    inst.parent?.tables.get(inst.node.name)?.delete(inst.num);
    this.unindex(inst);
  }

  /** Every instance at or below `inst`, parents first. */
  *subtree(inst: ObjInstance): Generator<ObjInstance> {
    yield inst;
    for (const child of inst.objects.values()) yield* this.subtree(child);
    for (const rows of inst.tables.values()) for (const row of rows.values()) yield* this.subtree(row);
  }

  private index(inst: ObjInstance): void {
    for (const i of this.subtree(inst)) this.byPath.set(i.path, i);
  }

  private unindex(inst: ObjInstance): void {
    for (const i of this.subtree(inst)) this.byPath.delete(i.path);
  }

  private fillSingles(inst: ObjInstance): void {
    for (const child of inst.node.children.values()) {
      if (child.isTable) continue;
      const c = new ObjInstance(`${inst.path}${child.name}.`, child, inst, 0);
      inst.objects.set(child.name, c);
      this.byPath.set(c.path, c);
      this.fillSingles(c);
    }
  }
}
