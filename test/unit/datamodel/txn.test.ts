import t from 'tap';
import Database from 'better-sqlite3';
import { UspError, UspErrorCode } from '../../../datamodel/errors.js';
import type { ObjInstance } from '../../../datamodel/instances.js';
import type { DataModel } from '../../../datamodel/model.js';
import type { ChangeEvent, Txn } from '../../../datamodel/txn.js';
import { freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

const LA = 'Device.LocalAgent.';
const CTRL = 'Device.LocalAgent.Controller.';

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
}

const inst = (dm: DataModel, path: string): ObjInstance => must(dm.tree.get(path), path);

/** Adds a row of `table` under `parentPath` and sets `values` on it, the way the Add handler does. */
function addRow(dm: DataModel, txn: Txn, parentPath: string, table: string, values: Record<string, string> = {}): ObjInstance {
  const parent = inst(dm, parentPath);
  const row = txn.addRow(parent, must(parent.node.children.get(table), table));
  set(txn, row, values);
  return row;
}

function set(txn: Txn, row: ObjInstance, values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) txn.setValue(row, must(row.node.params.get(k), k), v);
}

const rowNums = (dm: DataModel, parentPath: string, table: string): number[] => [...inst(dm, parentPath).rows(table)].map((r) => r.num);

/** Everything the data model holds in memory that is also stored: rows, stored values, counters. */
function snapshot(dm: DataModel): { rows: string[]; values: string[]; counters: string[] } {
  const rows: string[] = [];
  const values: string[] = [];
  for (const i of dm.tree.subtree(dm.tree.root)) {
    if (i.node.isTable) rows.push(i.path);
    for (const [k, v] of i.values) values.push(`${i.path}${k}=${v}`);
  }
  return { rows: rows.sort(), values: values.sort(), counters: [...dm.counters].map(([k, v]) => `${k}${v}`).sort() };
}

/** A fresh agent; every agent reopened from it is closed too in teardown. */
async function agent(t: { teardown(fn: () => void): void }): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent();
  const opened: TestAgent[] = [agent];
  t.teardown(() => {
    for (const a of opened) a.close();
    cleanup();
  });
  const track = (a: TestAgent): TestAgent => ({
    ...a,
    reopen: async (o) => {
      const b = await a.reopen(o);
      opened.push(b);
      return track(b);
    },
  });
  return track(agent);
}

/** Three committed controllers (1: with two MTP rows), as a base state. */
async function threeControllers(dm: DataModel): Promise<void> {
  await dm.transaction((txn) => {
    for (const n of [1, 2, 3]) {
      const c = addRow(dm, txn, LA, 'Controller', { EndpointID: `proto::c${n}`, Alias: `c${n}`, Enable: 'true' });
      if (n === 1) {
        addRow(dm, txn, c.path, 'MTP', { Alias: 'm1', Protocol: 'MQTT' });
        addRow(dm, txn, c.path, 'MTP', { Alias: 'm2', Protocol: 'STOMP' });
      }
    }
  });
}

t.test('rollbackTo(savepoint) restores values, rows and counters changed after the savepoint only', async (t) => {
  const a = await agent(t);
  const { dm } = a;
  await threeControllers(dm);
  const before = snapshot(dm);
  await dm.lock(() => {
    const txn = dm.begin();
    set(txn, inst(dm, `${CTRL}1.`), { EndpointID: 'proto::kept' });
    const sp = txn.savepoint();
    set(txn, inst(dm, `${CTRL}1.`), { EndpointID: 'proto::undone' });
    set(txn, inst(dm, 'Device.Time.'), { LocalTimeZone: 'EST5' });
    const c4 = addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
    addRow(dm, txn, c4.path, 'MTP', { Alias: 'x' });
    addRow(dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm3' });
    txn.deleteRow(inst(dm, `${CTRL}2.`));
    t.equal(dm.counters.get(CTRL), 5);
    t.equal(dm.counters.get(`${CTRL}1.MTP.`), 4);
    t.equal(dm.counters.get(`${CTRL}4.MTP.`), 2);

    txn.rollbackTo(sp);
    t.equal(inst(dm, `${CTRL}1.`).values.get('EndpointID'), 'proto::kept', 'the change before the savepoint stays');
    t.equal(inst(dm, 'Device.Time.').values.get('LocalTimeZone'), 'UTC');
    t.notOk(dm.tree.get(`${CTRL}4.`), 'row added after the savepoint is gone');
    t.notOk(dm.tree.get(`${CTRL}4.MTP.1.`), 'and its nested row');
    t.notOk(dm.tree.get(`${CTRL}1.MTP.3.`));
    t.ok(dm.tree.get(`${CTRL}2.`), 'deleted row is back');
    t.equal(dm.counters.get(CTRL), 4, 'counters back to their values at the savepoint');
    t.equal(dm.counters.get(`${CTRL}1.MTP.`), 3);
    t.notOk(dm.counters.has(`${CTRL}4.MTP.`), 'a counter created after the savepoint is removed');

    txn.rollback();
    t.ok(txn.isDone);
    t.same(snapshot(dm), before, 'rollback() restores the whole committed state');
    t.throws(() => set(txn, inst(dm, `${CTRL}1.`), { EndpointID: 'proto::late' }), { code: UspErrorCode.InternalError }, 'a finished txn refuses changes');
  });
});

t.test('a commit after a partial rollback writes only what survived', async (t) => {
  const a = await agent(t);
  await threeControllers(a.dm);
  await a.dm.transaction((txn) => {
    set(txn, inst(a.dm, `${CTRL}1.`), { EndpointID: 'proto::kept' });
    const sp = txn.savepoint();
    addRow(a.dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
    txn.deleteRow(inst(a.dm, `${CTRL}3.`));
    txn.rollbackTo(sp);
  });
  const mem = snapshot(a.dm);
  const b = await a.reopen();
  t.same(snapshot(b.dm), mem, 'disk equals memory');
  t.equal(inst(b.dm, `${CTRL}1.`).values.get('EndpointID'), 'proto::kept');
  t.same(rowNums(b.dm, LA, 'Controller'), [1, 2, 3]);
  t.equal(b.dm.counters.get(CTRL), 4, 'the rolled-back add did not consume a number');
});

t.test('deleted rows that are rolled back return in instance-number order, with their subtrees', async (t) => {
  const a = await agent(t);
  const { dm } = a;
  await dm.transaction((txn) => {
    for (let n = 1; n <= 6; n++) addRow(dm, txn, LA, 'Controller', { EndpointID: `proto::c${n}`, Alias: `c${n}` });
    addRow(dm, txn, `${CTRL}2.`, 'MTP', { Alias: 'm' });
  });
  for (const order of [
    [2, 4, 1],
    [6, 1],
    [1, 2, 3, 4, 5, 6],
    [5, 3, 6],
  ]) {
    await dm.lock(() => {
      const txn = dm.begin();
      for (const n of order) txn.deleteRow(inst(dm, `${CTRL}${n}.`));
      if (order.includes(6)) addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::new', Alias: 'new' });
      txn.rollback();
    });
    t.same(rowNums(dm, LA, 'Controller'), [1, 2, 3, 4, 5, 6], `after deleting ${order.join(',')} and rolling back`);
    t.same([...inst(dm, LA).rows('Controller')].map((r) => r.path), [1, 2, 3, 4, 5, 6].map((n) => `${CTRL}${n}.`));
    t.equal(inst(dm, `${CTRL}2.MTP.1.`).values.get('Alias'), 'm', 'nested row reachable by path again');
  }
  t.equal(dm.counters.get(CTRL), 7);
});

t.test('checkUniqueKeys: functional keys may repeat only on disabled rows; other keys never', async (t) => {
  const a = await agent(t);
  const { dm } = a;
  const conflict = async (what: string, fn: (txn: Txn) => void): Promise<void> => {
    const before = snapshot(dm);
    const err = await dm.transaction((txn) => {
      fn(txn);
      txn.checkUniqueKeys();
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(UspError.is(err, UspErrorCode.DuplicateUniqueKey), `${what}: 7025`);
    t.same(snapshot(dm), before, `${what}: nothing kept`);
  };
  const ok = (what: string, fn: (txn: Txn) => void): Promise<void> =>
    dm.transaction((txn) => {
      fn(txn);
      t.doesNotThrow(() => txn.checkUniqueKeys(), what);
    });

  await ok('two disabled rows share an EndpointID', (txn) => {
    addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::same', Alias: 'a1', Enable: 'false' });
    addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::same', Alias: 'a2', Enable: 'false' });
  });
  await ok('one of them enabled', (txn) => set(txn, inst(dm, `${CTRL}1.`), { Enable: 'true' }));
  await conflict('enabling the second', (txn) => set(txn, inst(dm, `${CTRL}2.`), { Enable: 'true' }));
  await conflict('a new enabled row with the same EndpointID', (txn) => {
    addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::same', Alias: 'a3', Enable: 'true' });
  });
  await conflict('the same Alias even on disabled rows (not a functional key)', (txn) => {
    addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::other', Alias: 'a2', Enable: 'false' });
  });
  const err = await dm
    .transaction((txn) => {
      addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::same', Alias: 'a4', Enable: 'true' });
      txn.checkUniqueKeys();
    })
    .catch((e: unknown) => e);
  t.equal((err as UspError).path, `${CTRL}3.`, 'the error names the later row (3: failed adds used no number)');
  t.match((err as Error).message, /Controller\.3\. and .*Controller\.1\. have the same EndpointID/);

  await ok('nested keys are per parent row', (txn) => {
    addRow(dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm', Protocol: 'MQTT', Enable: 'true' });
    addRow(dm, txn, `${CTRL}2.`, 'MTP', { Alias: 'm', Protocol: 'MQTT', Enable: 'true' });
  });
  await conflict('two enabled MTPs of one controller with the same Protocol', (txn) => {
    addRow(dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm2', Protocol: 'MQTT', Enable: 'true' });
  });

  await dm.lock(() => {
    const txn = dm.begin();
    const sp0 = txn.savepoint();
    set(txn, inst(dm, `${CTRL}2.`), { Enable: 'true' });
    const sp1 = txn.savepoint();
    set(txn, inst(dm, 'Device.Time.'), { LocalTimeZone: 'EST5' });
    t.doesNotThrow(() => txn.checkUniqueKeys(sp1), 'only tables touched since the savepoint are checked');
    t.throws(() => txn.checkUniqueKeys(sp0), { code: UspErrorCode.DuplicateUniqueKey });
    txn.rollback();
  });
});

t.test('commit tells listeners only after the database holds the change, children deleted first', async (t) => {
  const a = await agent(t);
  const { dm } = a;
  await threeControllers(dm);
  const disk = new Database(a.config.database, { readonly: true });
  t.teardown(() => disk.close());
  const onDisk = (obj: string, name: string): unknown => disk.prepare('SELECT value FROM param WHERE obj = ? AND name = ?').pluck().get(obj, name);
  const rowOnDisk = (path: string): boolean => disk.prepare('SELECT 1 FROM inst WHERE path = ?').get(path) !== undefined;

  const seen: { events: readonly ChangeEvent[]; diskAtNotify: Record<string, unknown> }[] = [];
  dm.onChange((events) => {
    seen.push({
      events,
      diskAtNotify: {
        endpoint: onDisk(`${CTRL}3.`, 'EndpointID'),
        c4: rowOnDisk(`${CTRL}4.`),
        c4mtp: rowOnDisk(`${CTRL}4.MTP.1.`),
        c1: rowOnDisk(`${CTRL}1.`),
        c1mtp: rowOnDisk(`${CTRL}1.MTP.2.`),
      },
    });
  });
  const returned = await dm.transaction(async (txn) => {
    set(txn, inst(dm, `${CTRL}3.`), { EndpointID: 'proto::changed' });
    set(txn, inst(dm, `${CTRL}2.`), { EndpointID: 'proto::tmp' });
    set(txn, inst(dm, `${CTRL}2.`), { EndpointID: 'proto::c2' }); // back to the old value: no event
    const c4 = addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
    addRow(dm, txn, c4.path, 'MTP', { Alias: 'x' });
    txn.deleteRow(inst(dm, `${CTRL}1.`));
    t.equal(seen.length, 0, 'nothing is announced while the transaction is open');
    await Promise.resolve();
    return 'done';
  });
  t.equal(returned, 'done');
  t.equal(seen.length, 1, 'one notification per commit');
  t.same(seen[0]?.diskAtNotify, { endpoint: 'proto::changed', c4: true, c4mtp: true, c1: false, c1mtp: false }, 'database already written when listeners run');
  const events = (seen[0]?.events ?? []).map((e) => (e.kind === 'value' ? `value ${e.objPath}${e.name} ${e.oldValue}->${e.newValue}` : `${e.kind} ${e.objPath}`));
  t.same(events, [
    `value ${CTRL}3.EndpointID proto::c3->proto::changed`,
    `created ${CTRL}4.`,
    `created ${CTRL}4.MTP.1.`,
    `deleted ${CTRL}1.MTP.2.`,
    `deleted ${CTRL}1.MTP.1.`,
    `deleted ${CTRL}1.`,
  ]);

  await dm.transaction(() => undefined);
  t.equal(seen.length, 1, 'an empty transaction announces nothing');
});

t.test('a failed database write rolls memory back so memory and disk agree', async (t) => {
  t.test('write aborted half-way by SQLite (a trigger refuses one row)', async (t) => {
    const a = await agent(t);
    const { dm } = a;
    await threeControllers(dm);
    const before = snapshot(dm);
    const other = new Database(a.config.database);
    t.teardown(() => other.close());
    other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON param WHEN NEW.value = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`);
    const notified: unknown[] = [];
    dm.onChange((e) => notified.push(e));

    const err = await dm
      .transaction((txn) => {
        set(txn, inst(dm, `${CTRL}3.`), { EndpointID: 'proto::changed' });
        txn.deleteRow(inst(dm, `${CTRL}1.`)); // has MTP rows and their counter
        addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
        addRow(dm, txn, `${CTRL}2.`, 'MTP', { Alias: 'boom' });
      })
      .catch((e: unknown) => e);
    t.ok(UspError.is(err, UspErrorCode.InternalError), 'the commit fails with 7003');
    t.match((err as Error).message, /refused by test trigger/);
    t.same(notified, [], 'nobody is told about a change that did not happen');
    t.same(snapshot(dm), before, 'memory is back to the committed state (rows, values, counters)');

    other.exec('DROP TRIGGER refuse');
    await dm.transaction((txn) => {
      addRow(dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm3', Protocol: 'WebSocket' });
      addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
    });
    t.ok(dm.tree.get(`${CTRL}1.MTP.3.`), 'MTP numbers of the restored row continue where they were');
    t.ok(dm.tree.get(`${CTRL}4.`));
    const mem = snapshot(dm);
    const b = await a.reopen();
    t.same(snapshot(b.dm), mem, 'what is on disk equals what was in memory');
  });

  t.test('database closed under the data model', async (t) => {
    const a = await agent(t);
    const { dm } = a;
    await threeControllers(dm);
    const before = snapshot(dm);
    dm.store.close();
    const err = await dm
      .transaction((txn) => {
        set(txn, inst(dm, `${CTRL}2.`), { EndpointID: 'proto::changed' });
        txn.deleteRow(inst(dm, `${CTRL}1.`));
        addRow(dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
      })
      .catch((e: unknown) => e);
    t.ok(UspError.is(err, UspErrorCode.InternalError), 'the commit fails with 7003');
    t.same(snapshot(dm), before, 'memory unchanged');
    const b = await a.reopen();
    t.same(snapshot(b.dm), before, 'disk unchanged');
  });
});

t.test('instance numbers are never reused, across deletes and restarts (R-ARC.8)', async (t) => {
  let a = await agent(t);
  await threeControllers(a.dm);
  await a.dm.transaction((txn) => {
    txn.deleteRow(inst(a.dm, `${CTRL}3.`));
    txn.deleteRow(inst(a.dm, `${CTRL}1.MTP.2.`));
  });
  a = await a.reopen();
  t.equal(a.dm.counters.get(CTRL), 4);
  t.equal(a.dm.counters.get(`${CTRL}1.MTP.`), 3);
  await a.dm.transaction((txn) => {
    addRow(a.dm, txn, LA, 'Controller', { EndpointID: 'proto::c4', Alias: 'c4' });
    addRow(a.dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm3' });
  });
  t.same(rowNums(a.dm, LA, 'Controller'), [1, 2, 4]);
  t.same(rowNums(a.dm, `${CTRL}1.`, 'MTP'), [1, 3]);

  await a.dm.transaction((txn) => {
    for (const r of [...inst(a.dm, LA).rows('Controller')]) txn.deleteRow(r);
  });
  a = await a.reopen();
  t.same(rowNums(a.dm, LA, 'Controller'), [], 'table empty');
  await a.dm.transaction((txn) => addRow(a.dm, txn, LA, 'Controller', { EndpointID: 'proto::c5', Alias: 'c5' }));
  t.same(rowNums(a.dm, LA, 'Controller'), [5], 'the next row is 5, even after emptying the table and restarting');
  t.notOk(a.dm.counters.has(`${CTRL}1.MTP.`), 'counters of deleted rows are dropped');
  a = await a.reopen();
  t.notOk(a.dm.counters.has(`${CTRL}1.MTP.`), 'also on disk');
  t.equal(a.dm.counters.get(CTRL), 6);
});

t.test('deleting a row in the transaction that added to its sub-table stores no stale counter and announces no phantom row', async (t) => {
  let a = await agent(t);
  await threeControllers(a.dm);
  const seen: string[] = [];
  a.dm.onChange((events) => seen.push(...events.map((e) => `${e.kind} ${e.objPath}`)));
  await a.dm.transaction((txn) => {
    addRow(a.dm, txn, `${CTRL}1.`, 'MTP', { Alias: 'm3' });
    txn.deleteRow(inst(a.dm, `${CTRL}1.`));
  });
  t.same(seen, [`deleted ${CTRL}1.MTP.2.`, `deleted ${CTRL}1.MTP.1.`, `deleted ${CTRL}1.`], 'MTP.3 was never announced, so its deletion is not either');
  t.notOk(a.dm.counters.has(`${CTRL}1.MTP.`));
  a = await a.reopen();
  t.notOk(a.dm.counters.has(`${CTRL}1.MTP.`), 'no counter left on disk for the deleted row');
});
