/**
 * SQLite persistence (better-sqlite3 12). The only file with SQL.
 *
 * Layout: `inst` holds every multi-instance row (single-instance objects exist implicitly
 * through their parent), `param` the stored parameter values, `counter` the next instance
 * number of every instantiated table (so numbers are never reused, R-ARC.8), `meta` small
 * facts such as the schema version, `notify_pending` the Notify messages still awaiting their
 * NotifyResp (TR-369 R-NOT.1; not data-model state). Every change set is written in one SQLite transaction;
 * WAL with synchronous=FULL makes a commit durable before the agent reports success.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UspError, UspErrorCode } from './errors.js';

const SCHEMA_VERSION = '1';

export interface StoredInstance {
  readonly path: string;
  readonly num: number;
}

export interface StoredSnapshot {
  readonly instances: StoredInstance[];
  readonly params: { readonly obj: string; readonly name: string; readonly value: string }[];
  readonly counters: Map<string, number>;
}

/** A Notify awaiting its NotifyResp, kept so that retries survive a restart (agent/notify/delivery.ts). */
export interface StoredNotification {
  /** msg_id of the Notify; the NotifyResp carries the same one. */
  readonly msgId: string;
  /** Instance path of the recipient's Device.LocalAgent.Controller.{i}. row. */
  readonly controller: string;
  readonly endpointId: string;
  /** The encoded USP Msg, sent again unchanged on every retry. */
  readonly msg: Uint8Array;
  /** First attempt, ms since the epoch. */
  readonly firstSent: number;
  /** When retrying stops (ms since the epoch); 0 = never. */
  readonly expires: number;
}

/** One committed change set, in the order it must be applied. */
export interface ChangeSet {
  /** Instance paths removed, with everything below them. */
  readonly deleted: readonly string[];
  readonly created: readonly StoredInstance[];
  readonly values: readonly { readonly obj: string; readonly name: string; readonly value: string }[];
  readonly counters: ReadonlyMap<string, number>;
}

/** Upper bound for a prefix range scan: every string starting with `p` sorts below it. */
const prefixEnd = (p: string): string => p + '\u{10FFFF}';

export interface StoreOptions {
  /**
   * Largest size of the database in bytes (SQLite max_page_count, rounded down to whole pages;
   * never below what is already stored); undefined or 0 = no limit but the disk's. A change set
   * that would grow it further fails with SQLITE_FULL, as a full disk does, and is rolled back.
   */
  readonly maxBytes?: number;
}

export class Store {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(
    readonly file: string,
    opts: StoreOptions = {},
  ) {
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = OFF');
      this.migrate();
      if (opts.maxBytes) this.db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxBytes / (this.db.pragma('page_size', { simple: true }) as number)))}`);
    } catch (e) {
      throw new UspError(UspErrorCode.InternalError, `cannot open database ${file}: ${(e as Error).message}`);
    }
    this.stmts = {
      delInst: this.db.prepare('DELETE FROM inst WHERE path >= ? AND path < ?'),
      delParam: this.db.prepare('DELETE FROM param WHERE obj >= ? AND obj < ?'),
      delCounter: this.db.prepare('DELETE FROM counter WHERE tbl >= ? AND tbl < ?'),
      putInst: this.db.prepare('INSERT OR REPLACE INTO inst(path, num) VALUES (?, ?)'),
      putParam: this.db.prepare('INSERT OR REPLACE INTO param(obj, name, value) VALUES (?, ?, ?)'),
      putCounter: this.db.prepare('INSERT OR REPLACE INTO counter(tbl, next) VALUES (?, ?)'),
      getMeta: this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      putNotif: this.db.prepare('INSERT OR REPLACE INTO notify_pending(msg_id, controller, endpoint_id, msg, first_sent, expires) VALUES (?, ?, ?, ?, ?, ?)'),
      delNotif: this.db.prepare('DELETE FROM notify_pending WHERE msg_id = ?'),
      putMeta: this.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)'),
    };
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS inst (path TEXT PRIMARY KEY, num INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS param (obj TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (obj, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS counter (tbl TEXT PRIMARY KEY, next INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS notify_pending (msg_id TEXT PRIMARY KEY, controller TEXT NOT NULL, endpoint_id TEXT NOT NULL,
        msg BLOB NOT NULL, first_sent INTEGER NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
    `);
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get('storeVersion');
    if (!row) this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run('storeVersion', SCHEMA_VERSION);
    else if (row.value !== SCHEMA_VERSION) throw new Error(`database layout version ${row.value}, this agent needs ${SCHEMA_VERSION}`);
  }

  /** True when nothing has been stored yet (a new database to seed). */
  isEmpty(): boolean {
    return this.getMeta('seeded') === undefined;
  }

  /** Everything stored, for loading into memory at start-up. */
  load(): StoredSnapshot {
    const instances = this.db.prepare<[], StoredInstance>('SELECT path, num FROM inst').all();
    const params = this.db.prepare<[], { obj: string; name: string; value: string }>('SELECT obj, name, value FROM param').all();
    const counters = new Map<string, number>();
    for (const r of this.db.prepare<[], { tbl: string; next: number }>('SELECT tbl, next FROM counter').iterate()) counters.set(r.tbl, r.next);
    return { instances, params, counters };
  }

  /** Writes one change set atomically: all of it or (on any error, crash or power loss) none. */
  apply(cs: ChangeSet): void {
    const run = this.db.transaction(() => {
      for (const p of cs.deleted) {
        const end = prefixEnd(p);
        this.stmts.delInst.run(p, end);
        this.stmts.delParam.run(p, end);
        this.stmts.delCounter.run(p, end);
      }
      for (const i of cs.created) this.stmts.putInst.run(i.path, i.num);
      for (const v of cs.values) this.stmts.putParam.run(v.obj, v.name, v.value);
      for (const [tbl, next] of cs.counters) this.stmts.putCounter.run(tbl, next);
    });
    try {
      run();
    } catch (e) {
      // better-sqlite3 has rolled the SQLite transaction back: nothing of `cs` is stored.
      throw storeWriteError(e);
    }
  }

  getMeta(key: string): string | undefined {
    return this.stmts.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmts.putMeta.run(key, value);
  }

  /** Keeps (or replaces) a Notify awaiting its NotifyResp. */
  putNotification(n: StoredNotification): void {
    this.stmts.putNotif.run(n.msgId, n.controller, n.endpointId, Buffer.from(n.msg), n.firstSent, n.expires);
  }

  /** Forgets a Notify (answered, expired or dropped). */
  deleteNotification(msgId: string): void {
    this.stmts.delNotif.run(msgId);
  }

  /** Every kept Notify, oldest first. */
  loadNotifications(): StoredNotification[] {
    type Row = { msg_id: string; controller: string; endpoint_id: string; msg: Buffer; first_sent: number; expires: number };
    return this.db
      .prepare<[], Row>('SELECT msg_id, controller, endpoint_id, msg, first_sent, expires FROM notify_pending ORDER BY first_sent, msg_id')
      .all()
      .map((r) => ({ msgId: r.msg_id, controller: r.controller, endpointId: r.endpoint_id, msg: new Uint8Array(r.msg), firstSent: r.first_sent, expires: r.expires }));
  }

  /** Removes every row (used by `db reset` before reseeding). */
  clear(): void {
    // One transaction: a crash half-way must not leave some tables emptied and others not.
    this.db.transaction(() => this.db.exec("DELETE FROM inst; DELETE FROM param; DELETE FROM counter; DELETE FROM notify_pending; DELETE FROM meta WHERE key != 'storeVersion';"))();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A failed write as a USP error: a full disk or database (SQLITE_FULL, also from max_page_count)
 * is 7005 Resources Exceeded, anything else 7003.
 */
function storeWriteError(e: unknown): UspError {
  const msg = (e as Error).message;
  const code = (e as { code?: unknown }).code;
  const full = code === 'SQLITE_FULL' || /SQLITE_FULL|disk is full/i.test(msg);
  return new UspError(full ? UspErrorCode.ResourcesExceeded : UspErrorCode.InternalError, full ? `no room to store the change (${msg})` : `database write failed: ${msg}`);
}
