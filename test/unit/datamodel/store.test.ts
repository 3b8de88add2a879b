import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { UspError, UspErrorCode } from '../../../datamodel/errors.js';
import { DataModel } from '../../../datamodel/model.js';
import { Registry } from '../../../datamodel/registry.js';
import { loadTr181 } from '../../../datamodel/schema/index.js';
import { Store } from '../../../datamodel/store.js';
import type { ChangeSet } from '../../../datamodel/store.js';

/** A fresh database file in its own temporary folder, closed and removed in teardown. */
function tempStore(t: { teardown(fn: () => void): void }): { file: string; open: () => Store } {
  const dir = mkdtempSync(join(tmpdir(), 'usp-store-test-'));
  const file = join(dir, 'sub', 'dm.db');
  const opened: Store[] = [];
  t.teardown(() => {
    for (const s of opened) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    file,
    open: () => {
      const s = new Store(file);
      opened.push(s);
      return s;
    },
  };
}

const cs = (c: Partial<ChangeSet>): ChangeSet => ({ deleted: [], created: [], values: [], counters: new Map(), ...c });

const CTRL = 'Device.LocalAgent.Controller.';

function sortedParams(s: Store): string[] {
  return s
    .load()
    .params.map((p) => `${p.obj}${p.name}=${p.value}`)
    .sort();
}

t.test('instances, parameter values and counters survive close and reopen', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  t.ok(s.isEmpty(), 'a new database is empty (not seeded)');
  s.apply(
    cs({
      created: [
        { path: `${CTRL}1.`, num: 1 },
        { path: `${CTRL}1.MTP.4.`, num: 4 },
      ],
      values: [
        { obj: `${CTRL}1.`, name: 'EndpointID', value: 'proto::c1' },
        { obj: `${CTRL}1.MTP.4.`, name: 'Protocol', value: 'MQTT' },
        { obj: 'Device.Time.', name: 'LocalTimeZone', value: 'CET-1CEST,M3.5.0,M10.5.0/3' },
        { obj: 'Device.Time.', name: 'Empty', value: '' },
      ],
      counters: new Map([
        [CTRL, 2],
        [`${CTRL}1.MTP.`, 5],
      ]),
    }),
  );
  s.setMeta('seeded', 'yes');
  s.close();

  const r = open();
  t.notOk(r.isEmpty(), 'seeded flag persisted');
  const snap = r.load();
  t.same(
    snap.instances.map((i) => `${i.path}#${i.num}`).sort(),
    [`${CTRL}1.#1`, `${CTRL}1.MTP.4.#4`],
  );
  t.same(sortedParams(r), [
    `${CTRL}1.EndpointID=proto::c1`,
    `${CTRL}1.MTP.4.Protocol=MQTT`,
    'Device.Time.Empty=',
    'Device.Time.LocalTimeZone=CET-1CEST,M3.5.0,M10.5.0/3',
  ]);
  t.same([...snap.counters].sort(), [
    [CTRL, 2],
    [`${CTRL}1.MTP.`, 5],
  ]);
});

t.test('a later change set overwrites values and counters in place', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  s.apply(cs({ values: [{ obj: 'Device.Time.', name: 'LocalTimeZone', value: 'UTC' }], counters: new Map([[CTRL, 2]]) }));
  s.apply(cs({ values: [{ obj: 'Device.Time.', name: 'LocalTimeZone', value: 'EST5' }], counters: new Map([[CTRL, 7]]) }));
  t.same(sortedParams(s), ['Device.Time.LocalTimeZone=EST5']);
  t.same([...s.load().counters], [[CTRL, 7]]);
});

t.test('a change set whose write fails half-way leaves nothing of itself behind', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  s.apply(cs({ created: [{ path: `${CTRL}1.`, num: 1 }], values: [{ obj: `${CTRL}1.`, name: 'EndpointID', value: 'old' }], counters: new Map([[CTRL, 2]]) }));
  const bad = cs({
    deleted: [`${CTRL}1.`],
    created: [
      { path: `${CTRL}2.`, num: 2 },
      { path: `${CTRL}3.`, num: 3 },
    ],
    // The NOT NULL constraint on param.value fails on the third value, after the delete and
    // two inserts have already run inside the SQLite transaction.
    values: [
      { obj: `${CTRL}2.`, name: 'EndpointID', value: 'two' },
      { obj: `${CTRL}3.`, name: 'EndpointID', value: 'three' },
      { obj: `${CTRL}3.`, name: 'Alias', value: null as unknown as string },
    ],
    counters: new Map([[CTRL, 4]]),
  });
  const err = t.throws(() => s.apply(bad)) as unknown;
  t.ok(UspError.is(err, UspErrorCode.InternalError), 'a failed write is a UspError 7003');
  t.match((err as Error).message, /database write failed/);
  s.close();
  const r = open();
  const snap = r.load();
  t.same(snap.instances, [{ path: `${CTRL}1.`, num: 1 }], 'the deleted row is still there, no new rows');
  t.same(sortedParams(r), [`${CTRL}1.EndpointID=old`]);
  t.same([...snap.counters], [[CTRL, 2]], 'counter unchanged');
});

t.test('deleting Controller.3. removes its subtree and nothing of Controller.30. or Controller.3x', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  const rows = ['3.', '3.MTP.1.', '30.', '30.MTP.1.', '31.', '4.'];
  s.apply(
    cs({
      created: rows.map((r) => ({ path: CTRL + r, num: Number(/(\d+)\.$/.exec(r)?.[1]) })),
      values: rows.map((r) => ({ obj: CTRL + r, name: 'Alias', value: r })),
      counters: new Map([
        [CTRL, 32],
        [`${CTRL}3.MTP.`, 2],
        [`${CTRL}30.MTP.`, 2],
      ]),
    }),
  );
  s.apply(cs({ deleted: [`${CTRL}3.`] }));
  s.close();
  const r = open();
  const snap = r.load();
  t.same(snap.instances.map((i) => i.path).sort(), [`${CTRL}30.`, `${CTRL}30.MTP.1.`, `${CTRL}31.`, `${CTRL}4.`]);
  t.same(sortedParams(r), [`${CTRL}30.Alias=30.`, `${CTRL}30.MTP.1.Alias=30.MTP.1.`, `${CTRL}31.Alias=31.`, `${CTRL}4.Alias=4.`]);
  t.same([...snap.counters].sort(), [
    [CTRL, 32],
    [`${CTRL}30.MTP.`, 2],
  ], 'the counter of the deleted row\'s sub-table goes, its siblings\' stay');
});

t.test('clear() erases everything but keeps the layout version', async (t) => {
  const { open, file } = tempStore(t);
  const s = open();
  s.apply(cs({ created: [{ path: `${CTRL}1.`, num: 1 }], values: [{ obj: `${CTRL}1.`, name: 'Alias', value: 'a' }], counters: new Map([[CTRL, 2]]) }));
  s.setMeta('seeded', 'x');
  s.clear();
  t.ok(s.isEmpty());
  t.same(s.load(), { instances: [], params: [], counters: new Map() });
  s.close();
  t.doesNotThrow(() => open().close(), 'reopens: layout version still known');
  const db = new Database(file, { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('storeVersion'), '1');
});

t.test('a database of another layout version is refused with a clear error', async (t) => {
  const { open, file } = tempStore(t);
  open().close();
  const db = new Database(file);
  db.prepare("UPDATE meta SET value = '99' WHERE key = 'storeVersion'").run();
  db.close();
  const err = t.throws(() => open()) as unknown;
  t.ok(UspError.is(err, UspErrorCode.InternalError));
  t.match((err as Error).message, /layout version 99, this agent needs 1/);
});

t.test('loading ignores stored rows and values the data model does not support', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  s.apply(
    cs({
      created: [
        { path: `${CTRL}1.`, num: 1 },
        { path: 'Device.NoSuchThing.1.', num: 1 },
        { path: `${CTRL}1.NoSuchTable.2.`, num: 2 },
        { path: 'Device.DeviceInfo.1.', num: 1 }, // DeviceInfo is not a table
        { path: `${CTRL}9.MTP.1.`, num: 1 }, // parent row missing
      ],
      values: [
        { obj: `${CTRL}1.`, name: 'EndpointID', value: 'proto::kept' },
        { obj: `${CTRL}1.`, name: 'NoSuchParam', value: 'x' },
        { obj: `${CTRL}1.`, name: 'InheritedRole', value: 'x' }, // exists, but not stored
        { obj: 'Device.NoSuchThing.1.', name: 'A', value: 'x' },
        { obj: `${CTRL}2.`, name: 'EndpointID', value: 'orphan value' },
      ],
      counters: new Map([[CTRL, 2]]),
    }),
  );
  const registry = new Registry(loadTr181().objects);
  registry.param('Device.LocalAgent.Controller.{i}.InheritedRole', { get: () => '' });
  registry.freeze();
  const logged: string[] = [];
  const dm = new DataModel(registry, s, (id, msg) => logged.push(`${id} ${msg}`));
  dm.load();
  const c1 = dm.tree.get(`${CTRL}1.`);
  t.ok(c1, 'the supported row is loaded');
  t.equal(c1?.values.get('EndpointID'), 'proto::kept');
  t.notOk(c1?.values.has('NoSuchParam'));
  t.notOk(c1?.values.has('InheritedRole'), 'a value stored for a live parameter is ignored');
  t.equal(c1?.values.get('Enable'), 'false', 'unstored params of a loaded row read their defaults');
  for (const p of ['Device.NoSuchThing.1.', `${CTRL}1.NoSuchTable.2.`, 'Device.DeviceInfo.1.', `${CTRL}9.MTP.1.`, `${CTRL}2.`]) t.notOk(dm.tree.get(p), `${p} not loaded`);
  t.equal(logged.filter((l) => l.startsWith('DM-W01')).length, 4, 'each ignored row is logged once');
  t.equal(dm.counters.get(CTRL), 2);
});

t.test('pending notifications: kept across a reopen, replaced by msg_id, deleted, and wiped by clear()', async (t) => {
  const { open } = tempStore(t);
  const s = open();
  const n = { msgId: 'n-1', controller: `${CTRL}1.`, endpointId: 'proto::c', msg: new Uint8Array([1, 2, 3]), firstSent: 1000, expires: 61_000 };
  s.putNotification(n);
  s.putNotification({ ...n, msgId: 'n-0', firstSent: 500 });
  s.putNotification({ ...n, msg: new Uint8Array([9]) });
  s.close();
  const again = open();
  t.strictSame(
    again.loadNotifications().map((x) => [x.msgId, [...x.msg], x.firstSent, x.expires]),
    [
      ['n-0', [1, 2, 3], 500, 61_000],
      ['n-1', [9], 1000, 61_000],
    ],
    'oldest first; the same msg_id replaces the earlier copy',
  );
  again.deleteNotification('n-0');
  t.strictSame(
    again.loadNotifications().map((x) => x.msgId),
    ['n-1'],
  );
  again.clear();
  t.strictSame(again.loadNotifications(), [], 'db reset forgets them too');
});
