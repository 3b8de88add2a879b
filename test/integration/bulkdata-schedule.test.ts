/**
 * The seed's "DailyProfile" end to end with a fake clock: a controller creates it with USP Add
 * messages (the real dispatcher and handlers on a real SQLite file), the agent's schedule fires on
 * the fake clock every ReportingInterval (120 s), and a real node:http collector receives JSON
 * reports whose content matches what a Get returns at that moment. Then: alignment with
 * TimeReference, no drift, and the first interval restarting when ReportingInterval changes.
 */
import t from 'tap';
import type { Requester } from '../../agent/handlers/context.js';
import type { Request } from '../../proto/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ADMIN_REQUESTER, tempConfig } from '../helpers/agent.js';
import { startBulkAgent } from '../unit/bulkdata/agent.js';
import type { BulkAgent as TestAgent } from '../unit/bulkdata/agent.js';
import { startCollector } from '../unit/bulkdata/collector.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const CTRL: Requester = { endpointId: 'proto::data-collection-controller', controllerPath: 'Device.LocalAgent.Controller.1.', readSecured: false };

type Json = Record<string, unknown>;

async function ok(agent: TestAgent, req: Request, who: Requester = CTRL): Promise<NonNullable<Awaited<ReturnType<TestAgent['request']>>['body']['response']>> {
  const r = await agent.request(req, who);
  if (!r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
  return r.body.response;
}

const settings = (o: Record<string, string>): { param: string; value: string; required: boolean }[] => Object.entries(o).map(([param, value]) => ({ param, value, required: true }));

/** Adds a profile and its Parameter rows as a controller would; returns its instance path. */
export async function addProfile(agent: TestAgent, profile: Record<string, string>, params: Record<string, string>[], who: Requester = CTRL): Promise<string> {
  const r = await ok(agent, { add: { allowPartial: false, createObjs: [{ objPath: 'Device.BulkData.Profile.', paramSettings: settings(profile) }] } }, who);
  const path = r.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  await ok(agent, { add: { allowPartial: false, createObjs: params.map((p) => ({ objPath: `${path}Parameter.`, paramSettings: settings(p) })) } }, who);
  return path;
}

/** Get results as a flat map of full parameter paths. */
async function getFlat(agent: TestAgent, path: string): Promise<Map<string, string>> {
  const r = await ok(agent, { get: { paramPaths: [path], maxDepth: 0 } }, ADMIN_REQUESTER);
  const out = new Map<string, string>();
  for (const rp of r.getResp?.reqPathResults ?? []) for (const res of rp.resolvedPathResults ?? []) for (const [k, v] of Object.entries(res.resultParams ?? {})) out.set(`${res.resolvedPath ?? ''}${k}`, v);
  return out;
}

/** Flattens an ObjectHierarchy report back into `name → value`. */
function flatten(o: Json, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object') flatten(v as Json, `${prefix}${k}.`, out);
    else out.set(prefix + k, v);
  }
  return out;
}

t.test('the seed DailyProfile, created over USP, reports to a real HTTP collector every 120 s (fake clock)', async (t) => {
  const clock = new FakeClock(T0);
  const collector = await startCollector();
  t.teardown(() => collector.close());
  const { config, cleanup } = tempConfig();
  t.teardown(cleanup);
  const agent = await startBulkAgent(config, { clock, platform: { uptimeSeconds: () => 4242 } });
  t.teardown(() => agent.close());

  // The controller's own row (so Profile.Controller can name it) and two MQTT clients, one Connected.
  await ok(agent, { add: { createObjs: [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: CTRL.endpointId }) }] } }, ADMIN_REQUESTER);
  await ok(agent, {
    add: {
      createObjs: [
        { objPath: 'Device.MQTT.Client.', paramSettings: settings({ Alias: 'up', BrokerAddress: 'broker.example.net' }) },
        { objPath: 'Device.MQTT.Client.', paramSettings: settings({ Alias: 'down', BrokerAddress: 'other.example.net' }) },
      ],
    },
  }, ADMIN_REQUESTER);
  // Status is read-only (the MQTT MTP writes it when it connects); the test sets the state it reads.
  await agent.dm.transaction((txn) => {
    const row = agent.dm.tree.get('Device.MQTT.Client.1.');
    const p = row?.node.params.get('Status');
    if (row && p) txn.setValue(row, p, 'Connected');
  });

  const profile = await addProfile(
    agent,
    { Enable: 'true', Name: 'DailyProfile', Protocol: 'HTTP', EncodingType: 'JSON', ReportingInterval: '120', NumberOfRetainedFailedReports: '1', 'HTTP.URL': collector.url },
    [
      { Name: 'DeviceInfo', Reference: 'Device.DeviceInfo.' },
      { Name: 'MQTT', Reference: 'Device.MQTT.Client.[Status=="Connected"].' },
      { Name: 'AllIPInterfaceType', Reference: 'Device.IP.Interface.*.Type' },
    ],
  );
  t.equal(profile, 'Device.BulkData.Profile.1.');
  const ctl = await getFlat(agent, `${profile}Controller`);
  t.equal(ctl.get(`${profile}Controller`), 'Device.LocalAgent.Controller.1', 'Controller names the creating controller');
  t.equal((await getFlat(agent, 'Device.BulkData.Status')).get('Device.BulkData.Status'), 'Enabled');

  /** Advances the clock by `ms` and returns the CollectionTime of the one report that comes. */
  const tick = async (ms: number): Promise<unknown> => {
    const done = agent.cycles(1);
    clock.advance(ms);
    const [cycle] = await done;
    t.ok(cycle?.ok, 'delivered');
    return (JSON.parse((await collector.next()).body) as { Report: Json[] }).Report[0]?.['CollectionTime'];
  };
  await clock.whenArmed(1);
  clock.advance(119_000);
  t.equal(collector.received.length, 0, 'nothing before the interval ends');
  const done = agent.cycles(1);
  clock.advance(1_000);
  await done;
  const first = await collector.next();
  t.equal(first.method, 'POST');
  t.equal(first.headers['content-type'], 'application/json; charset=UTF-8', 'R-BULK.7 media type and charset');
  t.equal(first.headers['bbf-report-format'], '"ObjectHierarchy"', 'R-BULK.8');
  t.equal(first.headers['date'], new Date(T0 + 120_000).toUTCString(), 'Date header from the agent clock (UseDateHeader default true)');
  t.same(
    [first.url.pathname, first.url.searchParams.get('oui'), first.url.searchParams.get('pc'), first.url.searchParams.get('sn')],
    ['/bulk', config.identity.manufacturerOUI, config.identity.productClass, config.identity.serialNumber],
    'R-BULK.1 query: oui, pc, sn',
  );

  const body = JSON.parse(first.body) as { Report: Json[] };
  t.equal(body.Report.length, 1, 'one report');
  const report = body.Report[0] as Json;
  t.equal(report['CollectionTime'], T0 + 120_000, 'CollectionTime: Unix epoch ms at the end of the interval');
  const got = flatten(report);
  got.delete('CollectionTime');

  // What a Get says now, renamed as TR-369 Annex A alternative names say.
  const expected = new Map<string, string>();
  for (const [k, v] of await getFlat(agent, 'Device.DeviceInfo.')) expected.set(k.replace(/^Device\.DeviceInfo\./, 'DeviceInfo.'), v);
  for (const [k, v] of await getFlat(agent, 'Device.MQTT.Client.1.')) expected.set(k.replace(/^Device\.MQTT\.Client\./, 'MQTT.'), v);
  for (const [k, v] of await getFlat(agent, 'Device.IP.Interface.*.Type')) expected.set(k.replace(/^Device\.IP\.Interface\./, 'AllIPInterfaceType.'), v);
  t.same([...got.keys()].sort(), [...expected.keys()].sort(), 'exactly the parameters the three references select now');
  t.notOk([...got.keys()].some((k) => k.startsWith('MQTT.2.')), 'the client that is not Connected is filtered out by the search expression');
  for (const name of ['Manufacturer', 'ManufacturerOUI', 'ProductClass', 'SerialNumber', 'SoftwareVersion', 'ModelName']) {
    t.equal(got.get(`DeviceInfo.${name}`), expected.get(`DeviceInfo.${name}`), `DeviceInfo.${name}`);
  }
  t.equal(got.get('DeviceInfo.UpTime'), 4242, 'unsignedInt values are JSON numbers');
  t.equal(got.get('MQTT.1.BrokerAddress'), 'broker.example.net');
  t.equal(got.get('MQTT.1.Status'), 'Connected');
  t.equal(got.get('MQTT.1.Enable'), false, 'booleans are JSON booleans');

  await t.test('reports follow the schedule anchored at the start, without drift', async (t) => {
    // T0+250 s: the report due at T0+240 s fires; the next is due at 360 s, not 250 + 120 = 370 s.
    t.equal(await tick(130_000), T0 + 240_000);
    clock.advance(109_000);
    t.equal(collector.received.length, 2, 'nothing at T0+359 s');
    t.equal(await tick(1_000), T0 + 360_000, 'due at anchor + 3 intervals');
  });

  await t.test('TimeReference sets the phase: reports at TimeReference + k·interval', async (t) => {
    // Now T0+360 s. TimeReference in the past at T0+30 s: next boundaries are T0+390 s, 510 s, ...
    await ok(agent, { set: { updateObjs: [{ objPath: profile, paramSettings: settings({ TimeReference: new Date(T0 + 30_000).toISOString().replace('.000', '') }) }] } });
    clock.advance(29_000);
    t.equal(collector.received.length, 3, 'the old schedule is gone');
    t.equal(await tick(1_000), T0 + 390_000);
    t.equal(await tick(120_000), T0 + 510_000);
  });

  await t.test('ForceCollection() reports at once and leaves the schedule alone', async (t) => {
    clock.advance(10_000); // T0+520 s
    const forced = agent.cycles(1);
    const r = await ok(agent, { operate: { command: `${profile}ForceCollection()`, commandKey: 'now', sendResp: true } });
    t.ok(r.operateResp?.operationResults?.[0]?.reqOutputArgs, 'the command succeeds');
    await forced;
    t.equal((JSON.parse((await collector.next()).body) as { Report: Json[] }).Report[0]?.['CollectionTime'], T0 + 520_000);
    t.equal(await tick(110_000), T0 + 630_000, 'the scheduled report still comes at TimeReference + k·interval');
  });

  await t.test('disabling the profile stops its reports', async (t) => {
    await ok(agent, { set: { updateObjs: [{ objPath: profile, paramSettings: settings({ Enable: 'false' }) }] } });
    const before = collector.received.length;
    clock.advance(600_000);
    await ok(agent, { get: { paramPaths: ['Device.BulkData.'] } });
    t.equal(collector.received.length, before);
    t.equal(clock.pending, 0, 'no timer left');
  });
});
