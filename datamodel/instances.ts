/**
 * The instantiated data model in memory: a tree of object instances mirroring what SQLite
 * holds, so that reads never touch the database. Only txn.ts changes stored rows and values
 * (single writer); the one other change is the rows of live tables (platform data, never
 * stored), which syncLive brings up to date when a read reaches them.
 */
import { performance } from 'node:perf_hooks';
import type { ObjectNode } from './nodes.js';

/** Brings the rows of live table `table` under `parent` up to date (InstanceTree.syncLive). */
type LiveSync = (parent: ObjInstance, table: ObjectNode) => void;

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
    private readonly syncLive?: LiveSync,
  ) {}

  /** Rows of the child table `name` (empty when none). */
  rows(name: string): Iterable<ObjInstance> {
    this.refresh(name);
    return this.tables.get(name)?.values() ?? [];
  }

  rowCount(name: string): number {
    this.refresh(name);
    return this.tables.get(name)?.size ?? 0;
  }

  /** Row `num` of the child table `name`. */
  row(name: string, num: number): ObjInstance | undefined {
    this.refresh(name);
    return this.tables.get(name)?.get(num);
  }

  /** The row maps of every child table that has rows, live tables read first. */
  tableRows(): IterableIterator<Map<number, ObjInstance>> {
    if (this.syncLive) for (const t of this.node.liveTables) this.syncLive(this, t);
    return this.tables.values();
  }

  private refresh(name: string): void {
    if (!this.syncLive || this.node.liveTables.length === 0) return;
    const t = this.node.children.get(name);
    if (t?.live) this.syncLive(this, t);
  }
}

/** What the tree remembers about one live table under one parent. */
interface LiveState {
  /** performance.now() of the last reading. */
  at: number;
  readonly byKey: Map<string, ObjInstance>;
  next: number;
}

/** Called when a live table's reading throws: the rows of the previous reading stay. */
export type LiveErrorLog = (tablePath: string, err: unknown) => void;

export class InstanceTree {
  readonly root: ObjInstance;
  private readonly byPath = new Map<string, ObjInstance>();
  /** Highest instance number in each row map, so appends stay O(1). */
  private readonly lastNum = new WeakMap<Map<number, ObjInstance>, number>();

  /** Live tables' state by parent instance, then table name (dropped with the parent). */
  private readonly live = new WeakMap<ObjInstance, Map<string, LiveState>>();
  private readonly sync: LiveSync = (parent, table) => this.syncLive(parent, table);

  constructor(
    rootNode: ObjectNode,
    private readonly liveError: LiveErrorLog = () => undefined,
  ) {
    this.root = new ObjInstance('Device.', rootNode, undefined, 0, this.sync);
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
    const inst = new ObjInstance(`${parent.path}${table.name}.${num}.`, table, parent, num, this.sync);
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

  /**
   * Reads a live table again (at most every `maxAgeMs`) and makes its rows match: a key seen
   * before keeps its row and instance number, a new key gets the next number, a vanished key's
   * row goes. Live rows are memory only; they never reach SQLite or the change listeners.
   */
  private syncLive(parent: ObjInstance, table: ObjectNode): void {
    const live = table.live;
    if (!live) return;
    let tables = this.live.get(parent);
    if (!tables) {
      tables = new Map();
      this.live.set(parent, tables);
    }
    let st = tables.get(table.name);
    const now = performance.now();
    if (st && now - st.at < live.maxAgeMs) return;
    if (!st) {
      // Rows a database kept from before the table became live are not the device's.
      for (const old of [...(parent.tables.get(table.name)?.values() ?? [])]) this.unlink(old);
      st = { at: now, byKey: new Map(), next: 1 };
      tables.set(table.name, st);
    }
    st.at = now;
    let reading: readonly { key: string; values: Readonly<Record<string, string>> }[];
    try {
      reading = live.rows({ path: parent.path, values: parent.values });
    } catch (e) {
      this.liveError(`${parent.path}${table.name}.`, e);
      return;
    }
    const seen = new Set<string>();
    for (const r of reading) {
      if (seen.has(r.key)) continue;
      seen.add(r.key);
      let row = st.byKey.get(r.key);
      if (!row) {
        row = this.createRow(parent, table, st.next++);
        st.byKey.set(r.key, row);
      }
      fillLive(row, r.values);
    }
    for (const [key, row] of st.byKey) {
      if (seen.has(key)) continue;
      this.unlink(row);
      st.byKey.delete(key);
    }
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
      const c = new ObjInstance(`${inst.path}${child.name}.`, child, inst, 0, this.sync);
      inst.objects.set(child.name, c);
      this.byPath.set(c.path, c);
      this.fillSingles(c);
    }
  }
}

/** Puts a reading into a live row: own values by name, sub-object values by `Child.Name`. */
function fillLive(row: ObjInstance, values: Readonly<Record<string, string>>): void {
  const clear = (inst: ObjInstance): void => {
    inst.values.clear();
    for (const c of inst.objects.values()) clear(c);
  };
  clear(row);
  for (const [name, value] of Object.entries(values)) {
    let inst: ObjInstance | undefined = row;
    let dot = name.indexOf('.');
    let leaf = name;
    while (inst && dot >= 0) {
      inst = inst.objects.get(leaf.slice(0, dot));
      leaf = leaf.slice(dot + 1);
      dot = leaf.indexOf('.');
    }
    inst?.values.set(leaf, value);
  }
}
