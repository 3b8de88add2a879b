/**
 * Get (TR-369 §The Get Message, R-GET.*; USP-NOTES §5.5) through the real dispatcher, protobuf
 * round trip and a temporary SQLite database. Test names carry the requirement or TP-469 case.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { Requester } from '../../../agent/handlers/context.js';
import type { usp } from '../../../proto/index.js';
import { AGENT_EID, CONTROLLER, freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

type RequestedPathResult = usp.GetResp.IRequestedPathResult;

async function setup(t: Test): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  return agent;
}

/** Sends one Get and returns its RequestedPathResults (none when the reply is not a GetResp). */
async function get(agent: TestAgent, paths: string[], opts: { maxDepth?: number; requester?: Requester } = {}): Promise<RequestedPathResult[]> {
  const reply = await agent.request({ get: { paramPaths: paths, ...(opts.maxDepth !== undefined && { maxDepth: opts.maxDepth }) } }, opts.requester);
  if (reply.body.msgBody !== 'response') throw new Error(`Get answered with ${JSON.stringify(reply.body)}`);
  return reply.body.response?.getResp?.reqPathResults ?? [];
}

/** Adds one row (allow_partial=false) and returns its instance path. */
async function add(agent: TestAgent, objPath: string, params: Record<string, string> = {}): Promise<string> {
  const paramSettings = Object.entries(params).map(([param, value]) => ({ param, value }));
  const reply = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath, paramSettings }] } });
  const path = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
  if (!path) throw new Error(`Add ${objPath} failed: ${JSON.stringify(reply.body)}`);
  return path;
}

const resolvedPaths = (r: RequestedPathResult | undefined): string[] => (r?.resolvedPathResults ?? []).map((x) => x.resolvedPath ?? '');

/** Three subscriptions: 1 enabled/NotifExpiration 5, 2 disabled/10, 3 enabled/20. */
async function threeSubscriptions(agent: TestAgent): Promise<void> {
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'a', Enable: 'true', NotifType: 'ValueChange', NotifExpiration: '5' });
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'b', Enable: 'false', NotifType: 'ValueChange', NotifExpiration: '10' });
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'c', Enable: 'true', NotifType: 'ValueChange', NotifExpiration: '20' });
}

t.test('Get on an object path returns one result per object instance (R-GET.2, TP-469 1.39)', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const reply = await agent.request({ get: { paramPaths: ['Device.DeviceInfo.'] } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  t.equal(r?.errCode, 0);
  const paths = (r?.resolvedPathResults ?? []).map((x) => x.resolvedPath);
  t.ok(paths.includes('Device.DeviceInfo.'));
  t.ok(paths.includes('Device.DeviceInfo.MemoryStatus.'), 'sub-objects get their own result');
  const top = r?.resolvedPathResults?.find((x) => x.resolvedPath === 'Device.DeviceInfo.');
  t.equal(top?.resultParams?.['Manufacturer'], 'usp-agent project', 'names are relative to the resolved path');
});

t.test('Get on a full parameter path resolves to its object with just that parameter (R-GET.2/3, TP-469 1.36)', async (t) => {
  const agent = await setup(t);
  const [r] = await get(agent, ['Device.LocalAgent.EndpointID']);
  t.equal(r?.requestedPath, 'Device.LocalAgent.EndpointID');
  t.equal(r?.errCode, 0);
  t.equal(r?.resolvedPathResults?.length, 1);
  t.equal(r?.resolvedPathResults?.[0]?.resolvedPath, 'Device.LocalAgent.');
  t.strictSame({ ...r?.resolvedPathResults?.[0]?.resultParams }, { EndpointID: AGENT_EID });
});

t.test('Get answers every requested path in order; a bad path errs only in its own result (TP-469 1.37, 1.38, 1.41, 1.42)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const rs = await get(agent, [
    'Device.LocalAgent.EndpointID',
    'Device.LocalAgent.InvalidParameter',
    'Device.LocalAgent.Subscription.2.Enable',
    'Device.LocalAgent.SoftwareVersion',
  ]);
  t.strictSame(
    rs.map((r) => r.requestedPath),
    ['Device.LocalAgent.EndpointID', 'Device.LocalAgent.InvalidParameter', 'Device.LocalAgent.Subscription.2.Enable', 'Device.LocalAgent.SoftwareVersion'],
  );
  t.strictSame(
    rs.map((r) => r.errCode),
    [0, 7026, 0, 0],
  );
  t.ok(rs[1]?.errMsg, 'the invalid path carries an err_msg');
  t.equal(rs[1]?.resolvedPathResults?.length, 0);
  t.strictSame(resolvedPaths(rs[2]), ['Device.LocalAgent.Subscription.2.']);
  t.strictSame({ ...rs[2]?.resolvedPathResults?.[0]?.resultParams }, { Enable: 'false' });
  t.strictSame(Object.keys(rs[3]?.resolvedPathResults?.[0]?.resultParams ?? {}), ['SoftwareVersion']);
});

t.test('Get on an object instance path returns that instance with relative names (TP-469 1.40)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const [r] = await get(agent, ['Device.LocalAgent.Subscription.1.']);
  t.equal(r?.errCode, 0);
  t.strictSame(resolvedPaths(r), ['Device.LocalAgent.Subscription.1.']);
  const params = r?.resolvedPathResults?.[0]?.resultParams ?? {};
  t.match(params, { Alias: 'cpe-1', ID: 'a', Enable: 'true', NotifType: 'ValueChange', NotifExpiration: '5', Persistent: 'false' });
  t.notOk(
    Object.keys(params).some((k) => k.includes('.')),
    'no key is a full path',
  );
});

/** How deep `path` is below `root` (root itself is 1; a table row counts as one level, like a single object). */
function depthBelow(root: string, path: string): number {
  return (
    1 +
    path
      .slice(root.length)
      .split('.')
      .filter((s) => s !== '' && !/^\d+$/.test(s)).length
  );
}

t.test('Get max_depth 1, 2, 3 and 0 limit the tree below the requested object (R-GET.5, TP-469 1.89)', async (t) => {
  const agent = await setup(t);
  const ctl = await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, `${ctl}MTP.`, { Protocol: 'MQTT' });
  const root = 'Device.LocalAgent.';

  const [d1] = await get(agent, [root], { maxDepth: 1 });
  t.strictSame(resolvedPaths(d1), [root], 'max_depth 1: only the object itself');
  t.equal(d1?.resolvedPathResults?.[0]?.resultParams?.['EndpointID'], AGENT_EID, 'with its own params');

  const [d2] = await get(agent, [root], { maxDepth: 2 });
  const p2 = resolvedPaths(d2);
  t.ok(p2.includes(root));
  t.ok(p2.includes('Device.LocalAgent.ControllerTrust.'), 'max_depth 2: immediate single-instance children');
  t.ok(p2.includes('Device.LocalAgent.Controller.1.'), 'max_depth 2: rows of immediate child tables');
  t.notOk(p2.includes('Device.LocalAgent.Controller.1.MTP.1.'), 'max_depth 2: no grandchildren');
  t.equal(Math.max(...p2.map((p) => depthBelow(root, p))), 2);

  const [d3] = await get(agent, [root], { maxDepth: 3 });
  const p3 = resolvedPaths(d3);
  t.ok(p3.includes('Device.LocalAgent.Controller.1.MTP.1.'));
  t.ok(p3.includes('Device.LocalAgent.Controller.1.E2ESession.'));
  t.notOk(p3.includes('Device.LocalAgent.Controller.1.MTP.1.MQTT.'));
  t.equal(Math.max(...p3.map((p) => depthBelow(root, p))), 3);

  const [d0] = await get(agent, [root], { maxDepth: 0 });
  const p0 = resolvedPaths(d0);
  t.ok(p0.includes('Device.LocalAgent.Controller.1.MTP.1.MQTT.'), 'max_depth 0: the whole subtree');
  t.ok(p0.length > p3.length);
  const [dAbsent] = await get(agent, [root]);
  t.strictSame(resolvedPaths(dAbsent), p0, 'no max_depth behaves as 0');
  for (const r of d0?.resolvedPathResults ?? []) {
    t.notOk(
      Object.keys(r.resultParams ?? {}).some((k) => k.includes('.')),
      `${r.resolvedPath}: keys are relative to the resolved path`,
    );
  }
});

t.test('Get with a wildcard on a parameter returns it from every instance (TP-469 1.44)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const [r] = await get(agent, ['Device.LocalAgent.Subscription.*.ID']);
  t.equal(r?.errCode, 0);
  t.strictSame(
    (r?.resolvedPathResults ?? []).map((x) => [x.resolvedPath, { ...x.resultParams }]),
    [
      ['Device.LocalAgent.Subscription.1.', { ID: 'a' }],
      ['Device.LocalAgent.Subscription.2.', { ID: 'b' }],
      ['Device.LocalAgent.Subscription.3.', { ID: 'c' }],
    ],
  );
});

t.test('Get with a wildcard object path returns one result per instance (TP-469 1.45)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const [r] = await get(agent, ['Device.LocalAgent.Subscription.*.']);
  t.equal(r?.errCode, 0);
  t.strictSame(resolvedPaths(r), ['Device.LocalAgent.Subscription.1.', 'Device.LocalAgent.Subscription.2.', 'Device.LocalAgent.Subscription.3.']);
  t.strictSame(
    (r?.resolvedPathResults ?? []).map((x) => x.resultParams?.['ID']),
    ['a', 'b', 'c'],
  );
});

t.test('Get with unique-key addressing resolves to the instance-number path (TP-469 1.43, R-MSG.3)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const rs = await get(agent, ['Device.LocalAgent.Subscription.[Alias=="cpe-2"].ID', 'Device.LocalAgent.Subscription.[Recipient==""&&ID=="c"].Enable']);
  t.strictSame(resolvedPaths(rs[0]), ['Device.LocalAgent.Subscription.2.']);
  t.strictSame({ ...rs[0]?.resolvedPathResults?.[0]?.resultParams }, { ID: 'b' });
  t.strictSame(resolvedPaths(rs[1]), ['Device.LocalAgent.Subscription.3.'], 'a multi-parameter key ([Recipient, ID]) works too');
});

t.test('Get with search expressions returns exactly the matching instances (TP-469 1.46-1.51, R-ARC.9)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const cases: [string, string[]][] = [
    ['[Enable==true]', ['a', 'c']],
    ['[Enable!=true]', ['b']],
    ['[Enable==1]', ['a', 'c']],
    ['[Enable==0]', ['b']],
    ['[NotifExpiration>10]', ['c']],
    ['[NotifExpiration<10]', ['a']],
    ['[NotifExpiration>=10]', ['b', 'c']],
    ['[NotifExpiration<=10]', ['a', 'b']],
    ['[NotifExpiration==010]', ['b']],
    ['[ID=="b"]', ['b']],
    ['[ID!="b"]', ['a', 'c']],
    ['[NotifExpiration > 5 && Enable == true]', ['c']],
  ];
  const rs = await get(
    agent,
    cases.map(([expr]) => `Device.LocalAgent.Subscription.${expr}.ID`),
  );
  cases.forEach(([expr, ids], i) => {
    t.equal(rs[i]?.errCode, 0, `${expr}: no error`);
    t.strictSame(
      (rs[i]?.resolvedPathResults ?? []).map((x) => x.resultParams?.['ID']),
      ids,
      `${expr} matches ${ids.join(', ')}`,
    );
  });
});

t.test('Get with a search path matching nothing succeeds with no results (R-GET.1a, R-MSG.4a, TP-469 1.86)', async (t) => {
  const agent = await setup(t);
  const empty = await get(agent, ['Device.LocalAgent.Subscription.[Enable==true].', 'Device.LocalAgent.Subscription.*.ID']);
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'x', Enable: 'false' });
  const populated = await get(agent, [
    'Device.LocalAgent.Subscription.[Enable==true].',
    'Device.LocalAgent.Subscription.[ID=="nope"].ID',
    'Device.LocalAgent.Controller.*.MTP.*.',
  ]);
  for (const r of [...empty, ...populated]) {
    t.equal(r.errCode, 0, `${r.requestedPath}: err_code 0`);
    t.equal(r.errMsg, '', `${r.requestedPath}: no err_msg`);
    t.equal(r.resolvedPathResults?.length, 0, `${r.requestedPath}: no resolved results`);
  }
});

t.test('Get on an empty table path succeeds with no results; a populated one lists its rows (TP-469 1.87)', async (t) => {
  const agent = await setup(t);
  const [r] = await get(agent, ['Device.LocalAgent.Subscription.']);
  t.equal(r?.requestedPath, 'Device.LocalAgent.Subscription.');
  t.equal(r?.errCode, 0);
  t.equal(r?.resolvedPathResults?.length, 0);
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'x' });
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'y' });
  const [r2] = await get(agent, ['Device.LocalAgent.Subscription.']);
  t.strictSame(resolvedPaths(r2), ['Device.LocalAgent.Subscription.1.', 'Device.LocalAgent.Subscription.2.'], 'one result per row, none for the table itself');
});

t.test('Get on an instance that does not exist returns 7026 in its result (R-GET.0)', async (t) => {
  const agent = await setup(t);
  await threeSubscriptions(agent);
  const rs = await get(agent, [
    'Device.LocalAgent.Subscription.42.',
    'Device.LocalAgent.Subscription.42.Enable',
    'Device.LocalAgent.Controller.1.MTP.',
    // Unique-key addressing names one instance; it is not a search, so no match is an invalid path.
    'Device.LocalAgent.Subscription.[Alias=="nope"].',
  ]);
  for (const r of rs) {
    t.equal(r.errCode, 7026, `${r.requestedPath}: 7026`);
    t.ok(r.errMsg, `${r.requestedPath}: has err_msg`);
    t.equal(r.resolvedPathResults?.length, 0);
  }
});

t.test('Get on paths outside the supported data model returns 7026 per path, with or without rows (R-GET.0, TP-469 1.41)', async (t) => {
  const agent = await setup(t);
  const paths = [
    'Device.LocalAgent.InvalidParameter',
    'Device.Bogus.',
    'Device.LocalAgent.Subscription.*.Bogus',
    'Device.LocalAgent.Subscription.[Bogus==1].',
    'Device.LocalAgent.Controller.*.MTP.[Bogus==1].',
    'Device.Time',
    'Device.Reboot()',
  ];
  const before = await get(agent, paths);
  await threeSubscriptions(agent);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  const after = await get(agent, paths);
  for (const r of [...before, ...after]) {
    t.equal(r.errCode, 7026, `${r.requestedPath}: 7026`);
    t.equal(r.resolvedPathResults?.length, 0);
  }
});

t.test('Get with invalid path syntax returns 7008 per path, with or without rows (§Path Names)', async (t) => {
  const agent = await setup(t);
  const paths = [
    'Device.LocalAgent..',
    'Device.LocalAgent.Subscription.[Enable==].',
    'Device.LocalAgent.Subscription.[].',
    // Booleans and numbers are unquoted; ordering operators need numbers or dateTimes.
    'Device.LocalAgent.Subscription.[Enable=="true"].',
    'Device.LocalAgent.Subscription.[ID==b].',
    'Device.LocalAgent.Subscription.[Alias>"a"].',
  ];
  const before = await get(agent, paths);
  await threeSubscriptions(agent);
  const after = await get(agent, paths);
  t.equal(after.length, paths.length);
  for (const r of [...before, ...after]) {
    t.equal(r.errCode, 7008, `${r.requestedPath}: 7008`);
    t.ok(r.errMsg);
  }
});

t.test('Secured parameters read back empty for a controller without SecuredRoles and in full for admin (TP-469 2.27)', async (t) => {
  const agent = await setup(t);
  const client = await add(agent, 'Device.MQTT.Client.', { Name: 'broker-a', Username: 'agent', Password: 's3cret' });
  t.equal(client, 'Device.MQTT.Client.1.');

  const asController = await get(agent, ['Device.MQTT.Client.1.Password', 'Device.MQTT.Client.1.', 'Device.MQTT.Client.*.Password'], { requester: CONTROLLER });
  t.strictSame({ ...asController[0]?.resolvedPathResults?.[0]?.resultParams }, { Password: '' });
  const obj = asController[1]?.resolvedPathResults?.find((x) => x.resolvedPath === 'Device.MQTT.Client.1.')?.resultParams ?? {};
  t.equal(obj['Password'], '', 'secured value empty in an object Get');
  t.equal(obj['Username'], 'agent', 'other values are unaffected');
  t.strictSame({ ...asController[2]?.resolvedPathResults?.[0]?.resultParams }, { Password: '' });

  const asAdmin = await get(agent, ['Device.MQTT.Client.1.Password', 'Device.MQTT.Client.1.']);
  t.strictSame({ ...asAdmin[0]?.resolvedPathResults?.[0]?.resultParams }, { Password: 's3cret' });
  t.equal(asAdmin[1]?.resolvedPathResults?.find((x) => x.resolvedPath === 'Device.MQTT.Client.1.')?.resultParams?.['Password'], 's3cret');
});

t.test('Get reads live, derived and stored values alike (NumberOfEntries follows the rows)', async (t) => {
  const agent = await setup(t);
  const [r0] = await get(agent, ['Device.LocalAgent.SubscriptionNumberOfEntries']);
  t.strictSame({ ...r0?.resolvedPathResults?.[0]?.resultParams }, { SubscriptionNumberOfEntries: '0' });
  await threeSubscriptions(agent);
  const rs = await get(agent, ['Device.LocalAgent.SubscriptionNumberOfEntries', 'Device.Time.LocalTimeZone', 'Device.Time.CurrentLocalTime']);
  t.equal(rs[0]?.resolvedPathResults?.[0]?.resultParams?.['SubscriptionNumberOfEntries'], '3');
  t.equal(rs[1]?.resolvedPathResults?.[0]?.resultParams?.['LocalTimeZone'], 'UTC', 'seeded from the factory defaults');
  t.match(rs[2]?.resolvedPathResults?.[0]?.resultParams?.['CurrentLocalTime'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
});

t.test('A search expression on a secured parameter sees what the requester reads, so it cannot probe the secret (TP-469 2.27)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.MQTT.Client.', { Name: 'broker-a', Password: 's3cret' });
  await add(agent, 'Device.MQTT.Client.', { Name: 'broker-b' });
  const paths = ['Device.MQTT.Client.[Password=="s3cret"].Name', 'Device.MQTT.Client.[Password==""].Name', 'Device.MQTT.Client.[Password!=""].Name'];
  const names = (rs: RequestedPathResult[]): string[][] => rs.map((r) => (r.resolvedPathResults ?? []).map((x) => x.resultParams?.['Name'] ?? ''));
  t.strictSame(names(await get(agent, paths, { requester: CONTROLLER })), [[], ['broker-a', 'broker-b'], []], 'controller: every Password compares as ""');
  t.strictSame(names(await get(agent, paths)), [['broker-a'], ['broker-b'], ['broker-a']], 'admin: the real values');
});

t.test('Search expressions may descend into single-instance sub-objects and follow references, never into tables (§Searching, R-ARC.9)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'MQTT' });
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'STOMP' });
  const ctl = await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, `${ctl}MTP.`, { Protocol: 'MQTT', 'MQTT.Topic': 'usp/a', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.1' });
  await add(agent, `${ctl}MTP.`, { Protocol: 'STOMP', 'MQTT.Topic': 'usp/b', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.2' });
  const rs = await get(agent, [
    'Device.LocalAgent.Controller.*.MTP.[MQTT.Topic=="usp/b"].Protocol',
    'Device.LocalAgent.Controller.*.MTP.[MQTT.AgentMTPReference+.Protocol=="MQTT"].Protocol',
    'Device.LocalAgent.Controller.1.MTP.2.MQTT.AgentMTPReference+.Protocol',
    'Device.LocalAgent.Controller.[MTP.Protocol=="MQTT"].',
  ]);
  t.strictSame(
    rs.slice(0, 3).map((r) => (r.resolvedPathResults ?? []).map((x) => [x.resolvedPath, { ...x.resultParams }])),
    [
      [['Device.LocalAgent.Controller.1.MTP.2.', { Protocol: 'STOMP' }]],
      [['Device.LocalAgent.Controller.1.MTP.1.', { Protocol: 'MQTT' }]],
      [['Device.LocalAgent.MTP.2.', { Protocol: 'STOMP' }]],
    ],
    'resolved paths are the referenced rows, in instance-number form (R-MSG.3)',
  );
  t.equal(rs[3]?.errCode, 7026, 'a search path may not cross into a child table');
});

t.test('Device.LocalAgent.SupportedProtocols lists the MTPs this build runs', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const reply = await agent.request({ get: { paramPaths: ['Device.LocalAgent.SupportedProtocols'] } });
  t.equal(reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['SupportedProtocols'], 'WebSocket,STOMP,MQTT');
});
