/**
 * The workloads of the crash tests (test/unit/datamodel/crash.test.ts for the Store and the
 * data model, test/integration/crash-agent.test.ts for USP messages through a whole agent),
 * shared by the test and the child process it kills (crash-child.ts), so the test can compute
 * the expected state by running the same workload to completion on another file.
 */
import { DataModel } from '../../datamodel/model.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import { Registry } from '../../datamodel/registry.js';
import { loadTr181 } from '../../datamodel/schema/index.js';
import type { Store } from '../../datamodel/store.js';
import type { ChangeSet } from '../../datamodel/store.js';
import type { Txn } from '../../datamodel/txn.js';
import type { Request } from '../../proto/index.js';

export const SUB = 'Device.LocalAgent.Subscription.';
export const BASE_ROWS = 100;
export const BIG_ROWS = 20_000;
const PAD = 'x'.repeat(200);
/**
 * About 40 MB of values: half of them is more than better-sqlite3's 16 MB page cache, so by
 * the time the child is killed SQLite has spilled uncommitted pages into the WAL file.
 */
const BIG_PAD = 'x'.repeat(2000);

/** The committed state before the crash: rows 1..100 with ID=old-N. */
export function baseChangeSet(): ChangeSet {
  const created = [];
  const values = [];
  for (let n = 1; n <= BASE_ROWS; n++) {
    created.push({ path: `${SUB}${n}.`, num: n });
    values.push({ obj: `${SUB}${n}.`, name: 'ID', value: `old-${n}` });
    values.push({ obj: `${SUB}${n}.`, name: 'Alias', value: `cpe-${n}` });
  }
  return { deleted: [], created, values, counters: new Map([[SUB, BASE_ROWS + 1]]) };
}

/** Deletes the even base rows, rewrites the odd ones, adds BIG_ROWS new rows. */
export function bigChangeSet(): ChangeSet {
  const deleted = [];
  const created = [];
  const values = [];
  for (let n = 1; n <= BASE_ROWS; n++) {
    if (n % 2 === 0) deleted.push(`${SUB}${n}.`);
    else values.push({ obj: `${SUB}${n}.`, name: 'ID', value: `new-${n}` });
  }
  for (let n = BASE_ROWS + 1; n <= BASE_ROWS + BIG_ROWS; n++) {
    created.push({ path: `${SUB}${n}.`, num: n });
    values.push({ obj: `${SUB}${n}.`, name: 'ID', value: `new-${n}` });
    values.push({ obj: `${SUB}${n}.`, name: 'Alias', value: `cpe-${n}` });
    values.push({ obj: `${SUB}${n}.`, name: 'ReferenceList', value: `Device.DeviceInfo.${BIG_PAD}` });
  }
  return { deleted, created, values, counters: new Map([[SUB, BASE_ROWS + BIG_ROWS + 1]]) };
}

/** A data model over the plain TR-181 schema on `store`. */
export function openModel(store: Store): DataModel {
  const registry = new Registry(loadTr181().objects);
  registry.freeze();
  const dm = new DataModel(registry, store);
  dm.load();
  return dm;
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
}

function setValues(txn: Txn, row: ObjInstance, values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) txn.setValue(row, must(row.node.params.get(k), k), v);
}

/** The committed state before the crash, through the data model: rows 1..100 with ID=old-N. */
export async function baseTxn(dm: DataModel): Promise<void> {
  await dm.transaction((txn) => {
    const la = must(dm.tree.get('Device.LocalAgent.'), 'LocalAgent');
    const table = must(la.node.children.get('Subscription'), 'Subscription');
    for (let n = 1; n <= BASE_ROWS; n++) setValues(txn, txn.addRow(la, table), { ID: `old-${n}`, Alias: `cpe-${n}` });
  });
}

/** Thousands of Adds, Sets and Deletes in one data-model transaction. */
export async function bigTxn(dm: DataModel): Promise<void> {
  await dm.transaction((txn) => {
    const la = must(dm.tree.get('Device.LocalAgent.'), 'LocalAgent');
    const table = must(la.node.children.get('Subscription'), 'Subscription');
    for (let n = 1; n <= BASE_ROWS; n++) {
      const row = must(dm.tree.get(`${SUB}${n}.`), `${SUB}${n}.`);
      if (n % 2 === 0) txn.deleteRow(row);
      else setValues(txn, row, { ID: `new-${n}`, Enable: 'true' });
    }
    for (let i = 0; i < BIG_ROWS / 4; i++) {
      const row = txn.addRow(la, table);
      setValues(txn, row, { ID: `new-${row.num}`, Alias: `cpe-${row.num}`, ReferenceList: `Device.DeviceInfo.${PAD}`, NotifType: 'ValueChange' });
    }
    setValues(txn, must(dm.tree.get('Device.Time.'), 'Time'), { LocalTimeZone: 'EST5' });
  });
}

/** Everything in the database, in a comparable form. */
export function storedState(store: Store): { instances: string[]; params: string[]; counters: string[] } {
  const s = store.load();
  return {
    instances: s.instances.map((i) => `${i.path}#${i.num}`).sort(),
    params: s.params.map((p) => `${p.obj}${p.name}=${p.value}`).sort(),
    counters: [...s.counters].map(([k, v]) => `${k}=${v}`).sort(),
  };
}

// ---- whole-agent workloads (test/integration/crash-agent.test.ts) -------------------------------

/** Subscription rows the agent-level crash tests start from. */
export const AGENT_ROWS = 2500;
/** Parameters each row gets in the big Set: AGENT_ROWS × 4 = 10,000 parameter settings. */
const SET_PARAMS = 4;

function addRows(from: number, count: number, tag: string): Request {
  return {
    add: {
      allowPartial: false,
      createObjs: Array.from({ length: count }, (_, i) => ({
        objPath: SUB,
        paramSettings: [
          { param: 'ID', value: `${tag}-${from + i}`, required: true },
          { param: 'NotifType', value: 'ValueChange', required: true },
          { param: 'ReferenceList', value: 'Device.Time.LocalTimeZone', required: true },
          { param: 'TriggerConfigSettings', value: `${tag}-${from + i}`, required: true },
        ],
      })),
    },
  };
}

/** Rows the big Add creates (an Add checks unique keys per object against the whole table, so it grows as rows × objects). */
export const AGENT_ADD_ROWS = 500;

/** The starting rows, Subscription.1..AGENT_ROWS, written in one data-model transaction (quicker than an Add message). */
export async function agentBaseRows(dm: DataModel): Promise<void> {
  await dm.transaction((txn) => {
    const la = must(dm.tree.get('Device.LocalAgent.'), 'LocalAgent');
    const table = must(la.node.children.get('Subscription'), 'Subscription');
    for (let n = 1; n <= AGENT_ROWS; n++) {
      const row = txn.addRow(la, table);
      setValues(txn, row, { Alias: `cpe-${row.num}`, ID: `old-${n}`, NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone', TriggerConfigSettings: `old-${n}` });
    }
    txn.checkUniqueKeys();
  });
}

/** One Set with 10,000 parameter settings: four on each of the AGENT_ROWS rows. */
export function agentBigSet(): Request {
  const updateObjs = Array.from({ length: AGENT_ROWS }, (_, i) => ({
    objPath: `${SUB}${i + 1}.`,
    paramSettings: [
      { param: 'TriggerConfigSettings', value: `new-${i + 1}-${PAD.slice(0, 40)}`, required: true },
      { param: 'NotifRetry', value: 'true', required: true },
      { param: 'NotifExpiration', value: String(100 + i), required: true },
      { param: 'TriggerAction', value: 'NotifyAndConfig', required: true },
    ],
  }));
  if (updateObjs.length * SET_PARAMS !== 10_000) throw new Error('the big Set must have 10,000 parameter settings');
  return { set: { allowPartial: false, updateObjs } };
}

/** One Add of AGENT_ADD_ROWS more rows. */
export const agentBigAdd = (): Request => addRows(AGENT_ROWS + 1, AGENT_ADD_ROWS, 'added');

/** One Delete of every even row (AGENT_ROWS / 2 instance paths) and of row 2001, found by a search expression. */
export function agentBigDelete(): Request {
  const objPaths = Array.from({ length: AGENT_ROWS / 2 }, (_, i) => `${SUB}${2 * (i + 1)}.`);
  return { delete: { allowPartial: false, objPaths: [...objPaths, `${SUB}[NotifExpiration==0&&TriggerConfigSettings=="old-2001"].`] } };
}

/** The agent-level workloads by name (crash-child.ts `agent-<name>-<when>` modes). */
export const AGENT_WORKLOADS = { set: agentBigSet, add: agentBigAdd, delete: agentBigDelete } as const;
export type AgentWorkload = keyof typeof AGENT_WORKLOADS;
