// datamodel live tables (Registry `rows`): rows come from a provider, keep their instance numbers
// by key, follow the device's changes, are read-only to controllers and never reach SQLite.
import t from 'tap';
import type { LiveRow } from '../../../datamodel/nodes.js';
import type { Registry } from '../../../datamodel/registry.js';
import { freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

const BASE = 'Device.X_TEST-COM_Live.';

/** A vendor subtree with a live table (re-read on every access) and a nested live table per row. */
function liveModel(state: { ports: { name: string; rx: string }[]; fail?: boolean }, reads: { n: number }): (dm: Registry) => void {
  return (dm) => {
    dm.object(BASE);
    dm.table(`${BASE}Port.{i}.`, {
      maxAgeMs: 0,
      rows: (): LiveRow[] => {
        reads.n++;
        if (state.fail) throw new Error('device busy');
        return state.ports.map((p) => ({ key: p.name, values: { Name: p.name, 'Stats.Rx': p.rx } }));
      },
    });
    dm.param(`${BASE}Port.{i}.Name`, { type: 'string', access: 'readWrite' });
    dm.object(`${BASE}Port.{i}.Stats.`);
    dm.param(`${BASE}Port.{i}.Stats.Rx`, { type: 'unsignedLong' });
    dm.param(`${BASE}Port.{i}.Label`, { type: 'string', get: (ctx) => `port ${ctx.stored.get('Name') ?? ''}` });
    dm.table(`${BASE}Port.{i}.Lane.{i}.`, {
      maxAgeMs: 0,
      rows: (parent) => (parent.values.get('Name') === 'eth0' ? [{ key: 'a', values: { Id: 'eth0-a' } }, { key: 'b', values: { Id: 'eth0-b' } }] : []),
    });
    dm.param(`${BASE}Port.{i}.Lane.{i}.Id`, { type: 'string' });
    dm.param(`${BASE}Port.{i}.LaneNumberOfEntries`, { type: 'unsignedInt' });
    dm.param(`${BASE}PortNumberOfEntries`, { type: 'unsignedInt' });
  };
}

async function get(agent: TestAgent, path: string): Promise<Record<string, Record<string, string>>> {
  const r = await agent.request({ get: { paramPaths: [path] } });
  const res = r.body.response?.getResp?.reqPathResults?.[0];
  if (!res || res.errCode) throw new Error(`Get ${path}: ${res?.errCode} ${res?.errMsg}`);
  return Object.fromEntries((res.resolvedPathResults ?? []).map((x): [string, Record<string, string>] => [x.resolvedPath ?? '', x.resultParams ?? {}]));
}

t.test('rows follow the provider and keep their instance numbers by key', async (t) => {
  const state = { ports: [{ name: 'eth0', rx: '10' }, { name: 'eth1', rx: '20' }] };
  const reads = { n: 0 };
  const { agent, cleanup } = await freshAgent({ register: liveModel(state, reads) });
  t.teardown(cleanup);
  let got = await get(agent, `${BASE}Port.`);
  t.same(got[`${BASE}Port.1.`], { Name: 'eth0', Label: 'port eth0', LaneNumberOfEntries: '2' });
  t.same(got[`${BASE}Port.2.Stats.`], { Rx: '20' });
  t.same(got[`${BASE}Port.1.Lane.2.`], { Id: 'eth0-b' });
  t.equal(got[`${BASE}Port.2.`]?.LaneNumberOfEntries, '0');

  state.ports = [{ name: 'eth1', rx: '25' }, { name: 'wan', rx: '1' }];
  got = await get(agent, `${BASE}Port.`);
  t.same(Object.keys(got).filter((p) => /Port\.\d+\.$/.test(p)), [`${BASE}Port.2.`, `${BASE}Port.3.`], 'eth0 gone, eth1 kept 2, wan got 3');
  t.equal(got[`${BASE}Port.2.Stats.`]?.Rx, '25', 'values are the new reading');
  t.equal((await get(agent, `${BASE}PortNumberOfEntries`))[BASE]?.PortNumberOfEntries, '2');
  t.same(await get(agent, `${BASE}Port.[Name=="wan"].Name`), { [`${BASE}Port.3.`]: { Name: 'wan' } }, 'search expressions see live rows');
  t.same(await get(agent, `${BASE}Port.3.Stats.Rx`), { [`${BASE}Port.3.Stats.`]: { Rx: '1' } }, 'an instance path reaches a live row');
  const r = await agent.request({ get: { paramPaths: [`${BASE}Port.1.Name`] } });
  t.equal(r.body.response?.getResp?.reqPathResults?.[0]?.errCode, 7026, 'a vanished row is an invalid path');
});

t.test('GetInstances lists live rows, nested ones included', async (t) => {
  const { agent, cleanup } = await freshAgent({ register: liveModel({ ports: [{ name: 'eth0', rx: '1' }] }, { n: 0 }) });
  t.teardown(cleanup);
  const r = await agent.request({ getInstances: { objPaths: [`${BASE}Port.`], firstLevelOnly: false } });
  const insts = r.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts?.map((c) => c.instantiatedObjPath);
  t.same(insts, [`${BASE}Port.1.`, `${BASE}Port.1.Lane.1.`, `${BASE}Port.1.Lane.2.`]);
});

t.test('live rows are read-only: Set 7013, Add 7019, Delete 7024, GetSupportedDM says so', async (t) => {
  const { agent, cleanup } = await freshAgent({ register: liveModel({ ports: [{ name: 'eth0', rx: '1' }] }, { n: 0 }) });
  t.teardown(cleanup);
  const set = await agent.request({ set: { updateObjs: [{ objPath: `${BASE}Port.1.`, paramSettings: [{ param: 'Name', value: 'x', required: true }] }] } });
  t.equal(set.body.error?.paramErrs?.[0]?.errCode, 7013);
  const add = await agent.request({ add: { createObjs: [{ objPath: `${BASE}Port.` }] } });
  t.equal(add.body.error?.errCode, 7019);
  const del = await agent.request({ delete: { objPaths: [`${BASE}Port.1.`] } });
  t.equal(del.body.error?.errCode ?? del.body.response?.deleteResp?.deletedObjResults?.[0]?.operStatus?.operFailure?.errCode, 7024);
  const gsdm = await agent.request({ getSupportedDm: { objPaths: [`${BASE}Port.{i}.`], returnParams: true, firstLevelOnly: true } });
  const obj = gsdm.body.response?.getSupportedDmResp?.reqObjResults?.[0]?.supportedObjs?.[0];
  t.equal(obj?.access, 0, 'OBJ_READ_ONLY');
  t.equal(obj?.supportedParams?.find((p) => p.paramName === 'Name')?.access, 0, 'PARAM_READ_ONLY');
  t.equal(agent.dm.store.load().instances.filter((i) => i.path.startsWith(BASE)).length, 0, 'nothing stored');
});

t.test('a reading is reused for maxAgeMs; a failing reading keeps the previous rows', async (t) => {
  const state: { ports: { name: string; rx: string }[]; fail?: boolean } = { ports: [{ name: 'eth0', rx: '1' }] };
  const reads = { n: 0 };
  const { agent, cleanup } = await freshAgent({ register: liveModel(state, reads) });
  t.teardown(cleanup);
  await get(agent, `${BASE}Port.1.Name`);
  state.fail = true;
  t.same(await get(agent, `${BASE}Port.*.Name`), { [`${BASE}Port.1.`]: { Name: 'eth0' } });
  t.ok(reads.n >= 2, 'read again (maxAgeMs 0)');
  t.same(await get(agent, `${BASE}Port.1.Stats.Rx`), { [`${BASE}Port.1.Stats.`]: { Rx: '1' } });
});

t.test('a Get that does not reach a live table does not read it', async (t) => {
  const reads = { n: 0 };
  const { agent, cleanup } = await freshAgent({ register: liveModel({ ports: [{ name: 'eth0', rx: '1' }] }, reads) });
  t.teardown(cleanup);
  await get(agent, 'Device.DeviceInfo.SoftwareVersion');
  await get(agent, 'Device.LocalAgent.');
  t.equal(reads.n, 0);
});

t.test('with maxAgeMs a reading is reused until it is that old', async (t) => {
  let reads = 0;
  const { agent, cleanup } = await freshAgent({
    register: (dm) => {
      dm.object(BASE);
      dm.table(`${BASE}Tick.{i}.`, { maxAgeMs: 60_000, rows: () => [{ key: 'k', values: { N: String(++reads) } }] });
      dm.param(`${BASE}Tick.{i}.N`, { type: 'unsignedInt' });
    },
  });
  t.teardown(cleanup);
  for (let i = 0; i < 3; i++) t.same(await get(agent, `${BASE}Tick.1.N`), { [`${BASE}Tick.1.`]: { N: '1' } });
  t.equal(reads, 1);
});

t.test('a stored table next to a live one keeps working (Add, Get, Delete)', async (t) => {
  const { agent, cleanup } = await freshAgent({ register: liveModel({ ports: [{ name: 'eth0', rx: '1' }] }, { n: 0 }) });
  t.teardown(cleanup);
  const add = await agent.request({ add: { createObjs: [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: [{ param: 'EndpointID', value: 'proto::live-ctrl', required: true }] }] } });
  const path = add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  t.match(path, /^Device\.LocalAgent\.Controller\.\d+\.$/);
  t.equal((await get(agent, `${path}EndpointID`))[path]?.EndpointID, 'proto::live-ctrl');
  const del = await agent.request({ delete: { objPaths: [path] } });
  t.same(del.body.response?.deleteResp?.deletedObjResults?.[0]?.operStatus?.operSuccess?.affectedPaths, [path]);
});
