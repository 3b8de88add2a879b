/**
 * Real crashes: a child process writes a big change set to an SQLite file and is killed with
 * SIGKILL half-way through the SQLite transaction (or right after it committed). The parent
 * then reopens the same file and must find exactly the last committed state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import Database from 'better-sqlite3';
import { Store } from '../../../datamodel/store.js';
import { exited, spawnTs } from '../../helpers/child.js';
import { BASE_ROWS, BIG_ROWS, SUB, baseChangeSet, baseTxn, bigChangeSet, bigTxn, openModel, storedState } from '../../helpers/crash-workload.js';

// Each case writes tens of MB with synchronous=FULL, in a child process: allow for a loaded machine.
t.setTimeout(300_000);

const CHILD = fileURLToPath(new URL('../../helpers/crash-child.ts', import.meta.url));

type T = { teardown(fn: () => void): void };
/** The part of a tap test the helpers use. */
type Tap = T & Pick<typeof t, 'equal' | 'match'>;

function tempDb(t: T, name = 'dm.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'usp-crash-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

/** Opens a Store that is closed in teardown. */
function openStore(t: T, file: string): Store {
  const s = new Store(file);
  t.teardown(() => s.close());
  return s;
}

/** Runs the crash child and checks it really died of SIGKILL where it was meant to. */
async function crash(t: Tap, mode: string, file: string, where: RegExp): Promise<number> {
  const child = spawnTs(CHILD, [mode, file]);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const r = await exited(child);
  t.equal(r.signal, 'SIGKILL', 'the child was killed, not exited', { stderr: r.stderr });
  t.match(r.stdout, where, 'killed at the intended point');
  return Number(/wal=(\d+)/.exec(r.stdout)?.[1] ?? -1);
}

function integrity(file: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true });
  } finally {
    db.close();
  }
}

/** The state the workload leaves when it runs to completion (no crash), on a separate file. */
async function completedState(t: T, run: (file: string) => Promise<void> | void): Promise<ReturnType<typeof storedState>> {
  const file = tempDb(t, 'oracle.db');
  await run(file);
  const s = openStore(t, file);
  return storedState(s);
}

t.test('SIGKILL in the middle of Store.apply: the reopened database holds exactly the previous commit', async (t) => {
  const file = tempDb(t);
  const before = new Store(file);
  before.apply(baseChangeSet());
  const expected = storedState(before);
  before.close();

  const wal = await crash(t, 'store-mid', file, /KILL inside Store\.apply after \d+ of \d+ values/);
  t.ok(wal > 0, `uncommitted pages of the half-written transaction were on disk (WAL ${wal} bytes)`);

  t.equal(integrity(file), 'ok', 'PRAGMA integrity_check');
  const s = openStore(t, file);
  const got = storedState(s);
  t.equal(got.instances.length, BASE_ROWS, 'no half rows');
  t.same(got, expected, 'old values, no new rows, old counter');

  s.apply({ deleted: [`${SUB}1.`], created: [{ path: `${SUB}101.`, num: 101 }], values: [{ obj: `${SUB}101.`, name: 'ID', value: 'after' }], counters: new Map([[SUB, 102]]) });
  s.close();
  const again = openStore(t, file);
  const after = storedState(again);
  t.ok(after.instances.includes(`${SUB}101.#101`) && !after.instances.includes(`${SUB}1.#1`), 'a new transaction works and persists');
  t.equal(integrity(file), 'ok');
});

t.test('SIGKILL right after Store.apply returned: the whole change set is there', async (t) => {
  const file = tempDb(t);
  const base = new Store(file);
  base.apply(baseChangeSet());
  base.close();
  const expected = await completedState(t, (f) => {
    const s = new Store(f);
    s.apply(baseChangeSet());
    s.apply(bigChangeSet());
    s.close();
  });

  await crash(t, 'store-after', file, /KILL after Store\.apply returned/);
  t.equal(integrity(file), 'ok', 'PRAGMA integrity_check');
  const got = storedState(openStore(t, file));
  t.equal(got.instances.length, BASE_ROWS / 2 + BIG_ROWS);
  t.same(got, expected, 'exactly the state of the same change set written without a crash');
});

t.test('SIGKILL half-way through committing a data-model transaction of thousands of Adds/Sets/Deletes', async (t) => {
  const file = tempDb(t);
  const s0 = new Store(file);
  await baseTxn(openModel(s0));
  const expected = storedState(s0);
  s0.close();

  const wal = await crash(t, 'dm-mid', file, /KILL inside Store\.apply after \d+ of \d+ values/);
  t.comment(`WAL at the kill: ${wal} bytes`);
  t.equal(integrity(file), 'ok', 'PRAGMA integrity_check');
  const s = openStore(t, file);
  t.same(storedState(s), expected, 'exactly the previous commit');

  const dm = openModel(s);
  t.equal(dm.tree.get(`${SUB}2.`)?.values.get('ID'), 'old-2', 'the rows the crashed txn deleted are back with old values');
  t.equal(dm.tree.get(`${SUB}1.`)?.values.get('ID'), 'old-1');
  t.notOk(dm.tree.get(`${SUB}${BASE_ROWS + 1}.`), 'no row of the crashed txn');
  t.equal(dm.counters.get(SUB), BASE_ROWS + 1);
  await dm.transaction((txn) => {
    const la = dm.tree.get('Device.LocalAgent.');
    const table = la?.node.children.get('Subscription');
    if (!la || !table) throw new Error('no Subscription table');
    txn.addRow(la, table);
  });
  t.ok(dm.tree.get(`${SUB}${BASE_ROWS + 1}.`), 'a new transaction works');
  s.close();
  const reopened = openModel(openStore(t, file));
  t.ok(reopened.tree.get(`${SUB}${BASE_ROWS + 1}.`), 'and persists');
});

t.test('SIGKILL right after a data-model transaction committed: all of it is there', async (t) => {
  const file = tempDb(t);
  const s0 = new Store(file);
  await baseTxn(openModel(s0));
  s0.close();
  const expected = await completedState(t, async (f) => {
    const s = new Store(f);
    const dm = openModel(s);
    await baseTxn(dm);
    await bigTxn(dm);
    s.close();
  });

  await crash(t, 'dm-after', file, /KILL after the data-model transaction committed/);
  t.equal(integrity(file), 'ok', 'PRAGMA integrity_check');
  const got = storedState(openStore(t, file));
  t.same(got, expected, 'exactly the state of the same transaction committed without a crash');
  t.ok(got.params.includes('Device.Time.LocalTimeZone=EST5'));
});
