/**
 * Checksums of an agent's data for hardening and fuzz tests: what SQLite holds (rows, stored
 * values, instance counters) and whether the in-memory tree agrees with it. A rejected request
 * must leave the first unchanged and the second true.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Store } from '../../datamodel/store.js';

/** SHA-256 over everything in the Store, in a canonical (sorted) order. */
export function storeDigest(store: Store): string {
  const s = store.load();
  const h = createHash('sha256');
  for (const line of s.instances.map((i) => `I ${i.path} ${i.num}`).sort()) h.update(line).update('\n');
  for (const line of s.params.map((p) => `P ${p.obj}${p.name}=${JSON.stringify(p.value)}`).sort()) h.update(line).update('\n');
  for (const line of [...s.counters].map(([k, v]) => `C ${k} ${v}`).sort()) h.update(line).update('\n');
  return h.digest('hex');
}

/**
 * The same kind of checksum, read by a second, read-only SQLite connection to the database file:
 * it sees exactly what is committed on disk, and is cheap enough to take after every fuzz case.
 */
export class FileDigest {
  private readonly db: Database.Database;
  private readonly rows: Database.Statement<[], { k: string; v: string }>;
  private readonly version: Database.Statement<[], number>;
  private lastVersion: number;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.rows = this.db.prepare(
      `SELECT 'I ' || path AS k, CAST(num AS TEXT) AS v FROM inst
       UNION ALL SELECT 'P ' || obj || name, value FROM param
       UNION ALL SELECT 'C ' || tbl, CAST(next AS TEXT) FROM counter ORDER BY 1`,
    );
    this.version = this.db.prepare<[], number>('PRAGMA data_version').pluck();
    this.lastVersion = this.version.get() ?? 0;
  }

  /**
   * True when another connection (the agent's) committed anything since the last call
   * (SQLite's data_version). False means the file's contents cannot have changed, so the
   * checksum need not be taken again.
   */
  committedSince(): boolean {
    const v = this.version.get() ?? 0;
    const changed = v !== this.lastVersion;
    this.lastVersion = v;
    return changed;
  }

  digest(): string {
    const h = createHash('sha256');
    for (const r of this.rows.iterate()) h.update(r.k).update('\u0000').update(r.v).update('\u0001');
    return h.digest('hex');
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Differences between the in-memory model and the Store (empty when they agree): every stored
 * row is in the tree and back, every stored value equals the tree's, every tree value missing
 * from the Store is the parameter's default, and the instance counters are the same. Rows of
 * live tables (read from the device, memory only) are left out.
 */
export function memoryVsStore(dm: DataModel): string[] {
  const s = dm.store.load();
  const problems: string[] = [];
  const storedRows = new Set(s.instances.map((i) => i.path));
  const storedValues = new Map(s.params.map((p) => [`${p.obj}${p.name}`, p.value]));
  for (const inst of dm.tree.subtree(dm.tree.root)) {
    if (isLive(inst)) continue;
    if (inst.node.isTable && inst.parent && !storedRows.delete(inst.path)) problems.push(`row ${inst.path} only in memory`);
    for (const [name, value] of inst.values) {
      const key = inst.path + name;
      const stored = storedValues.get(key);
      storedValues.delete(key);
      const dflt = inst.node.params.get(name)?.defaultValue ?? '';
      if (stored === undefined ? value !== dflt : stored !== value) problems.push(`${key}: memory ${JSON.stringify(value).slice(0, 40)}, stored ${JSON.stringify(stored)?.slice(0, 40)}`);
    }
  }
  for (const r of storedRows) problems.push(`row ${r} only in the store`);
  // Stored values of rows the model does not load (unsupported) are ignored by DataModel.load too.
  for (const k of storedValues.keys()) if (dm.tree.get(k.slice(0, k.lastIndexOf('.') + 1))) problems.push(`${k} only in the store`);
  const counters = [...dm.counters].map(([k, v]) => `${k}=${v}`).sort();
  const storedCounters = [...s.counters].map(([k, v]) => `${k}=${v}`).sort();
  if (counters.join() !== storedCounters.join()) problems.push(`counters differ: memory ${counters.join()} / stored ${storedCounters.join()}`);
  return problems;
}

/** True for a row of a live table (ObjectNode.live: read from the device, never stored) or anything below one. */
function isLive(inst: ObjInstance): boolean {
  for (let i: ObjInstance | undefined = inst; i; i = i.parent) if ((i.node as { live?: unknown }).live) return true;
  return false;
}
