/**
 * Add (TR-369 §The Add Message, R-ADD.*; USP-NOTES §5.1, §5.2) through the real dispatcher,
 * protobuf round trip and a temporary SQLite database.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { AgentOptions } from '../../../agent/agent.js';
import type { DecodedMsg } from '../../../proto/index.js';
import { freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

interface Setting {
  readonly param: string;
  readonly value: string;
  readonly required?: boolean;
}
interface CreateObj {
  readonly objPath: string;
  readonly paramSettings?: readonly Setting[];
}

const SUBS = 'Device.LocalAgent.Subscription.';

async function setup(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

async function restart(t: Test, agent: TestAgent): Promise<TestAgent> {
  const again = await agent.reopen();
  t.teardown(() => again.close());
  return again;
}

function add(agent: TestAgent, allowPartial: boolean, createObjs: readonly CreateObj[]): Promise<DecodedMsg> {
  return agent.request({ add: { allowPartial, createObjs: createObjs.map((c) => ({ objPath: c.objPath, paramSettings: [...(c.paramSettings ?? [])] })) } });
}

/** Settings from a name → value map (none required). */
const settings = (params: Record<string, string>): Setting[] => Object.entries(params).map(([param, value]) => ({ param, value }));

/** Wire-shaped JSON of the reply body with non-empty err_msg texts replaced by '…'. */
function shape(reply: DecodedMsg): unknown {
  return JSON.parse(JSON.stringify(reply.body), (k, v: unknown) => (k === 'errMsg' && typeof v === 'string' && v !== '' ? '…' : v));
}

/** Instance paths of a table (or search path) via Get. */
async function rows(agent: TestAgent, tablePath: string): Promise<string[]> {
  const reply = await agent.request({ get: { paramPaths: [tablePath], maxDepth: 1 } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  if (!r || r.errCode) throw new Error(`Get ${tablePath} failed: ${JSON.stringify(reply.body)}`);
  return (r.resolvedPathResults ?? []).map((x) => x.resolvedPath ?? '');
}

/** All params of one object instance via Get. */
async function params(agent: TestAgent, objPath: string): Promise<Record<string, string>> {
  const reply = await agent.request({ get: { paramPaths: [objPath], maxDepth: 1 } });
  return { ...reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams };
}

const sub = (id: string, extra: readonly Setting[] = []): CreateObj => ({
  objPath: SUBS,
  paramSettings: [{ param: 'Enable', value: 'true' }, { param: 'ID', value: id }, { param: 'NotifType', value: 'ValueChange' }, ...extra],
});

t.test('Add allow_partial=false, required parameters succeed: oper_success with every unique key (TP-469 1.1, R-ADD.5)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add1', [{ param: 'ReferenceList', value: 'Device.LocalAgent.SoftwareVersion', required: true }])]);
  t.strictSame(shape(reply), {
    response: {
      addResp: {
        createdObjResults: [
          {
            requestedPath: SUBS,
            operStatus: { operSuccess: { instantiatedPath: `${SUBS}1.`, uniqueKeys: { Alias: 'cpe-1', Recipient: '', ID: 'add1' } } },
          },
        ],
      },
    },
  });
  t.match(await params(agent, `${SUBS}1.`), { Enable: 'true', ID: 'add1', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.SoftwareVersion' });
});

t.test('Add allow_partial=true, required parameters succeed (TP-469 1.2)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [sub('add2', [{ param: 'ReferenceList', value: 'Device.LocalAgent.SoftwareVersion', required: true }])]);
  t.strictSame(reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `${SUBS}1.`);
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`]);
});

t.test('Add allow_partial=false, a required parameter fails: Error naming the full param path, nothing created (TP-469 1.3)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [
    {
      objPath: SUBS,
      paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add3', NotifType: 'ValueChange' })],
    },
  ]);
  t.equal(reply.body.msgBody, 'error');
  t.equal(reply.body.error?.errCode, 7021);
  const pe = reply.body.error?.paramErrs ?? [];
  t.equal(pe.length, 1);
  t.match(pe[0]?.paramPath, /^Device\.LocalAgent\.Subscription\.\d+\.Enable$/, 'FULL path to the Enable parameter');
  t.equal(pe[0]?.errCode, 7011);
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=false on an invalid object: Error whose param_path is the object (TP-469 1.4)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [{ objPath: 'Device.LocalAgent.InvalidObject.', paramSettings: settings({ Enable: 'true' }) }]);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
});

t.test('Add allow_partial=false with several objects creates all of them (TP-469 1.5)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add51'), sub('add52')]);
  t.strictSame(
    (reply.body.response?.addResp?.createdObjResults ?? []).map((r) => [
      r.requestedPath,
      r.operStatus?.operSuccess?.instantiatedPath,
      { ...r.operStatus?.operSuccess?.uniqueKeys },
    ]),
    [
      [SUBS, `${SUBS}1.`, { Alias: 'cpe-1', Recipient: '', ID: 'add51' }],
      [SUBS, `${SUBS}2.`, { Alias: 'cpe-2', Recipient: '', ID: 'add52' }],
    ],
  );
});

t.test('Add allow_partial=false: one invalid object rolls back the objects before it (TP-469 1.6, R-ADD.1)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [sub('add61'), { objPath: 'Device.LocalAgent.InvalidObject.', paramSettings: settings({ ID: 'add62' }) }]);
  t.strictSame(shape(reply), {
    error: { errCode: 7026, errMsg: '…', paramErrs: [{ paramPath: 'Device.LocalAgent.InvalidObject.', errCode: 7026, errMsg: '…' }] },
  });
  t.strictSame(await rows(agent, SUBS), [], 'the first subscription was not kept');
  t.strictSame(await rows(await restart(t, agent), SUBS), [], 'nor written to the database');
});

t.test('Add allow_partial=false: a required failure in one of several objects creates none (TP-469 1.7)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [
    sub('add70'),
    { objPath: SUBS, paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add71' })] },
    sub('add72'),
  ]);
  t.equal(reply.body.error?.errCode, 7021);
  t.equal(reply.body.error?.paramErrs?.length, 1);
  t.match(reply.body.error?.paramErrs?.[0]?.paramPath, /\.Enable$/);
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=true, a required parameter fails: oper_failure and nothing created (TP-469 1.8)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [
    { objPath: SUBS, paramSettings: [{ param: 'Enable', value: 'InvalidValue', required: true }, ...settings({ ID: 'add8', NotifType: 'ValueChange' })] },
  ]);
  t.strictSame(shape(reply), {
    response: { addResp: { createdObjResults: [{ requestedPath: SUBS, operStatus: { operFailure: { errCode: 7021, errMsg: '…' } } }] } },
  });
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('Add allow_partial=true with several objects: the failing one gets oper_failure, the others are created (TP-469 1.9, R-ADD.0)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, true, [sub('add91'), sub('add92', [{ param: 'InvalidParameter', value: 'IrrelevantValue', required: true }]), sub('add93')]);
  const r = reply.body.response?.addResp?.createdObjResults ?? [];
  t.strictSame(
    r.map((x) => x.operStatus?.operSuccess?.instantiatedPath ?? x.operStatus?.operFailure?.errCode),
    [`${SUBS}1.`, 7021, `${SUBS}2.`],
    'instance numbers of rolled-back rows are not consumed',
  );
  t.equal(r[0]?.operStatus?.operSuccess?.paramErrs?.length ?? 0, 0, 'no parameter errors on the good one');
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`, `${SUBS}2.`]);
  t.equal((await params(agent, `${SUBS}2.`))['ID'], 'add93');
});

t.test('A failing non-required parameter is reported in param_errs (relative) and the object is still created (R-ADD.4, §5.1)', async (t) => {
  for (const allowPartial of [false, true]) {
    const agent = await setup(t);
    const reply = await add(agent, allowPartial, [
      sub('p1', [
        { param: 'TimeToLive', value: 'soon' },
        { param: 'TriggerAction', value: 'Nope' },
        { param: 'CreationDate', value: '2020-01-01T00:00:00Z' },
      ]),
    ]);
    t.strictSame(
      shape(reply),
      {
        response: {
          addResp: {
            createdObjResults: [
              {
                requestedPath: SUBS,
                operStatus: {
                  operSuccess: {
                    instantiatedPath: `${SUBS}1.`,
                    paramErrs: [
                      { param: 'TimeToLive', errCode: 7011, errMsg: '…' },
                      { param: 'TriggerAction', errCode: 7012, errMsg: '…' },
                      { param: 'CreationDate', errCode: 7013, errMsg: '…' },
                    ],
                    uniqueKeys: { Alias: 'cpe-1', Recipient: '', ID: 'p1' },
                  },
                },
              },
            ],
          },
        },
      },
      `allow_partial=${allowPartial}`,
    );
    t.match(await params(agent, `${SUBS}1.`), { TimeToLive: '0', TriggerAction: 'Notify', Enable: 'true' }, 'failed params keep their defaults');
  }
});

t.test('Add with unique-key addressing in the path creates under the addressed row (TP-469 1.10)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c1' }) }]);
  const path = 'Device.LocalAgent.Controller.[EndpointID=="proto::c1"].BootParameter.';
  const reply = await add(agent, false, [{ objPath: path, paramSettings: settings({ Enable: 'true', ParameterName: 'Device.LocalAgent.SoftwareVersion' }) }]);
  t.strictSame(shape(reply), {
    response: {
      addResp: {
        createdObjResults: [
          {
            requestedPath: path,
            operStatus: {
              operSuccess: {
                instantiatedPath: 'Device.LocalAgent.Controller.1.BootParameter.1.',
                uniqueKeys: { ParameterName: 'Device.LocalAgent.SoftwareVersion', Alias: 'cpe-1' },
              },
            },
          },
        ],
      },
    },
  });
});

t.test('Add with a search path creates one row per matched table, all with the same requested_path (TP-469 1.95)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c1', Enable: 'true' }) },
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c2', Enable: 'false' }) },
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c3', Enable: 'true' }) },
  ]);
  const path = 'Device.LocalAgent.Controller.[Enable==true].BootParameter.';
  const reply = await add(agent, false, [{ objPath: path, paramSettings: settings({ Enable: 'true', ParameterName: 'Device.LocalAgent.SoftwareVersion' }) }]);
  t.strictSame(
    (reply.body.response?.addResp?.createdObjResults ?? []).map((r) => [r.requestedPath, r.operStatus?.operSuccess?.instantiatedPath]),
    [
      [path, 'Device.LocalAgent.Controller.1.BootParameter.1.'],
      [path, 'Device.LocalAgent.Controller.3.BootParameter.1.'],
    ],
  );
  t.strictSame(await rows(agent, 'Device.LocalAgent.Controller.*.BootParameter.'), [
    'Device.LocalAgent.Controller.1.BootParameter.1.',
    'Device.LocalAgent.Controller.3.BootParameter.1.',
  ]);
});

t.test('Add allow_partial=false with a search path: a failure in any matched table changes nothing (R-ADD.2a)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c1', Enable: 'true' }) },
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c2', Enable: 'true' }) },
    { objPath: 'Device.LocalAgent.Controller.2.BootParameter.', paramSettings: settings({ Enable: 'true', ParameterName: 'Device.LocalAgent.UpTime' }) },
  ]);
  // Controller.2 already has an enabled BootParameter for UpTime (functional key ParameterName).
  const reply = await add(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.*.BootParameter.', paramSettings: settings({ Enable: 'true', ParameterName: 'Device.LocalAgent.UpTime' }) },
  ]);
  t.equal(reply.body.error?.errCode, 7025);
  t.strictSame(
    await rows(agent, 'Device.LocalAgent.Controller.*.BootParameter.'),
    ['Device.LocalAgent.Controller.2.BootParameter.1.'],
    'Controller.1 got no row either',
  );
});

t.test('Add with a search path that matches no table answers with an empty oper_success (R-MSG.4a)', async (t) => {
  const agent = await setup(t);
  const path = 'Device.LocalAgent.Controller.[Enable==true].BootParameter.';
  for (const allowPartial of [false, true]) {
    const reply = await add(agent, allowPartial, [
      { objPath: path, paramSettings: settings({ ParameterName: 'Device.LocalAgent.UpTime' }) },
      sub(`s-${allowPartial}`),
    ]);
    t.strictSame(
      (reply.body.response?.addResp?.createdObjResults ?? []).map((r) => [r.requestedPath, JSON.parse(JSON.stringify(r.operStatus)) as unknown]),
      [
        [path, { operSuccess: {} }],
        [
          SUBS,
          {
            operSuccess: {
              instantiatedPath: `${SUBS}${allowPartial ? 2 : 1}.`,
              uniqueKeys: { Alias: `cpe-${allowPartial ? 2 : 1}`, Recipient: '', ID: `s-${allowPartial}` },
            },
          },
        ],
      ],
      `allow_partial=${allowPartial}: one result per CreateObject`,
    );
  }
});

t.test('Missing unique keys are generated (Alias cpe-N, other strings too) and all keys are returned (R-ADD.5, TP-469 1.81)', async (t) => {
  const agent = await setup(t);
  const reply = await add(agent, false, [
    { objPath: SUBS },
    { objPath: SUBS },
    { objPath: 'Device.LocalAgent.Controller.' },
    { objPath: 'Device.MQTT.Client.', paramSettings: settings({ Name: 'broker-a' }) },
    { objPath: 'Device.LocalAgent.MTP.', paramSettings: settings({ Alias: 'my-mtp' }) },
  ]);
  t.strictSame(
    (reply.body.response?.addResp?.createdObjResults ?? []).map((r) => [
      r.operStatus?.operSuccess?.instantiatedPath,
      { ...r.operStatus?.operSuccess?.uniqueKeys },
    ]),
    [
      [`${SUBS}1.`, { Alias: 'cpe-1', Recipient: '', ID: 'cpe-1' }],
      [`${SUBS}2.`, { Alias: 'cpe-2', Recipient: '', ID: 'cpe-2' }],
      ['Device.LocalAgent.Controller.1.', { EndpointID: 'cpe-1', Alias: 'cpe-1' }],
      ['Device.MQTT.Client.1.', { Alias: 'cpe-1', Name: 'broker-a' }],
      ['Device.LocalAgent.MTP.1.', { Alias: 'my-mtp' }],
    ],
  );
  t.equal((await params(agent, `${SUBS}2.`))['Alias'], 'cpe-2', 'the generated value is stored');
});

t.test('A generated Alias never collides with one a controller chose (R-ADD.5)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [{ objPath: 'Device.LocalAgent.MTP.', paramSettings: settings({ Alias: 'cpe-2' }) }]);
  const reply = await add(agent, false, [{ objPath: 'Device.LocalAgent.MTP.' }]);
  const alias = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.uniqueKeys?.['Alias'];
  t.ok(alias && alias !== 'cpe-2', `generated ${alias}`);
  t.match(alias, /^cpe-2-\d+$/);
});

t.test('Unique-key parameters are implicitly required: an invalid Alias fails the Add (TP-469 1.88, §The Add Message note)', async (t) => {
  const agent = await setup(t);
  const bad = sub('add88', [{ param: 'Alias', value: '88InvalidAlias' }]);
  const whole = await add(agent, false, [bad]);
  t.strictSame(shape(whole), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${SUBS}1.Alias`, errCode: 7012, errMsg: '…' }] },
  });
  const partial = await add(agent, true, [bad]);
  t.strictSame(shape(partial), {
    response: { addResp: { createdObjResults: [{ requestedPath: SUBS, operStatus: { operFailure: { errCode: 7021, errMsg: '…' } } }] } },
  });
  t.strictSame(await rows(agent, SUBS), []);
});

t.test('A duplicate unique key fails the Add with 7025, also between objects of one message (§Error Codes)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [sub('dup')]);
  const whole = await add(agent, false, [sub('fresh'), sub('dup')]);
  t.equal(whole.body.error?.errCode, 7025);
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`], 'the first object of the failed message was rolled back');
  const partial = await add(agent, true, [
    sub('x1'),
    sub('x1'),
    { objPath: 'Device.LocalAgent.MTP.', paramSettings: settings({ Alias: 'cpe-1' }) },
    { objPath: 'Device.LocalAgent.MTP.', paramSettings: settings({ Alias: 'cpe-1' }) },
  ]);
  t.strictSame(
    (partial.body.response?.addResp?.createdObjResults ?? []).map((r) => r.operStatus?.operSuccess?.instantiatedPath ?? r.operStatus?.operFailure?.errCode),
    [`${SUBS}2.`, 7025, 'Device.LocalAgent.MTP.1.', 7025],
  );
});

t.test('Add on a table the data model marks read-only gives 7019 (NotCreatable, §Error Codes)', async (t) => {
  const agent = await setup(t);
  const whole = await add(agent, false, [{ objPath: 'Device.DeviceInfo.FirmwareImage.', paramSettings: settings({ Name: 'x' }) }]);
  t.strictSame(shape(whole), {
    error: { errCode: 7019, errMsg: '…', paramErrs: [{ paramPath: 'Device.DeviceInfo.FirmwareImage.', errCode: 7019, errMsg: '…' }] },
  });
  const partial = await add(agent, true, [{ objPath: 'Device.DeviceInfo.FirmwareImage.' }, sub('ok')]);
  t.strictSame(
    (partial.body.response?.addResp?.createdObjResults ?? []).map((r) => r.operStatus?.operFailure?.errCode ?? r.operStatus?.operSuccess?.instantiatedPath),
    [7019, `${SUBS}1.`],
  );
  t.strictSame(await rows(agent, 'Device.DeviceInfo.FirmwareImage.'), []);
});

t.test('Add on a path that is not a table gives 7018; a non-object path 7026; a missing parent an error (§Error Codes)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [sub('a')]);
  const partial = await add(agent, true, [
    { objPath: 'Device.Time.' },
    { objPath: `${SUBS}1.` },
    { objPath: `${SUBS}1.Enable` },
    { objPath: 'Device.LocalAgent.Controller.9.MTP.' },
    { objPath: 'Device.LocalAgent.Controller.[Enable==yes].MTP.' },
  ]);
  const codes = (partial.body.response?.addResp?.createdObjResults ?? []).map((r) => r.operStatus?.operFailure?.errCode);
  t.strictSame(codes.slice(0, 3), [7018, 7018, 7026]);
  t.ok(codes[3] === 7016 || codes[3] === 7026, `absent parent row: ${codes[3]}`);
  t.equal(codes[4], 7008, 'bad search syntax');
  const whole = await add(agent, false, [sub('b'), { objPath: 'Device.Time.' }]);
  t.strictSame(shape(whole), { error: { errCode: 7018, errMsg: '…', paramErrs: [{ paramPath: 'Device.Time.', errCode: 7018, errMsg: '…' }] } });
  t.strictSame(await rows(agent, SUBS), [`${SUBS}1.`]);
});

t.test('Add may set parameters of single-instance sub-objects and checks strong references (§CreateParamSetting, R-ARC.12)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [
    { objPath: 'Device.LocalAgent.MTP.', paramSettings: settings({ Protocol: 'MQTT' }) },
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c1' }) },
  ]);
  const reply = await add(agent, true, [
    {
      objPath: 'Device.LocalAgent.Controller.1.MTP.',
      paramSettings: settings({ Protocol: 'MQTT', 'MQTT.Topic': 'usp/controller', 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.1' }),
    },
    {
      objPath: 'Device.LocalAgent.Controller.1.MTP.',
      paramSettings: [
        { param: 'Protocol', value: 'STOMP' },
        { param: 'STOMP.Reference', value: 'Device.STOMP.Connection.5' },
      ],
    },
    {
      objPath: 'Device.LocalAgent.Controller.1.MTP.',
      paramSettings: [
        { param: 'Protocol', value: 'WebSocket' },
        { param: 'MQTT.AgentMTPReference', value: 'Device.LocalAgent.MTP.7', required: true },
      ],
    },
  ]);
  const r = reply.body.response?.addResp?.createdObjResults ?? [];
  t.equal(r[0]?.operStatus?.operSuccess?.instantiatedPath, 'Device.LocalAgent.Controller.1.MTP.1.');
  t.equal(r[0]?.operStatus?.operSuccess?.paramErrs?.length ?? 0, 0);
  t.strictSame(
    (r[1]?.operStatus?.operSuccess?.paramErrs ?? []).map((p) => [p.param, p.errCode]),
    [['STOMP.Reference', 7012]],
    'a dangling non-required strong reference is a param error',
  );
  t.equal(r[2]?.operStatus?.operFailure?.errCode, 7021, 'a dangling required one fails the object');
  t.match(await params(agent, 'Device.LocalAgent.Controller.1.MTP.1.MQTT.'), { Topic: 'usp/controller', AgentMTPReference: 'Device.LocalAgent.MTP.1' });
  t.match(await params(agent, 'Device.LocalAgent.Controller.1.MTP.2.STOMP.'), { Reference: '' });
});

t.test('Instance numbers only grow and are never reused, not even after deletes and a restart (R-ARC.8)', async (t) => {
  const agent = await setup(t);
  for (let i = 0; i < 3; i++) await add(agent, false, [sub(`n${i}`)]);
  await agent.request({ delete: { allowPartial: false, objPaths: [`${SUBS}3.`, `${SUBS}2.`] } });
  const again = await restart(t, agent);
  const r4 = await add(again, false, [sub('n3')]);
  t.equal(r4.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `${SUBS}4.`);
  await again.request({ delete: { allowPartial: false, objPaths: [`${SUBS}*.`] } });
  const third = await restart(t, again);
  const r5 = await add(third, false, [sub('n4')]);
  t.equal(r5.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `${SUBS}5.`, 'an emptied table keeps counting');
  t.strictSame(await rows(third, SUBS), [`${SUBS}5.`]);
});

t.test('Added rows and their values survive a restart (R-ARC.8)', async (t) => {
  const agent = await setup(t);
  await add(agent, false, [
    sub('persist', [{ param: 'NotifExpiration', value: '30' }]),
    { objPath: 'Device.LocalAgent.Controller.', paramSettings: settings({ EndpointID: 'proto::c1' }) },
    { objPath: 'Device.LocalAgent.Controller.1.BootParameter.', paramSettings: settings({ ParameterName: 'Device.LocalAgent.UpTime', Enable: 'true' }) },
  ]);
  const again = await restart(t, agent);
  t.match(await params(again, `${SUBS}1.`), { Alias: 'cpe-1', ID: 'persist', NotifExpiration: '30', Enable: 'true' });
  t.match(await params(again, 'Device.LocalAgent.Controller.1.BootParameter.1.'), {
    ParameterName: 'Device.LocalAgent.UpTime',
    Enable: 'true',
    Alias: 'cpe-1',
  });
  t.match(await params(again, 'Device.LocalAgent.Controller.1.'), { EndpointID: 'proto::c1', BootParameterNumberOfEntries: '1' });
});

t.test('A table at maxEntries refuses more rows with 7005 (§Error Codes; vendor table through the Registry API)', async (t) => {
  const agent = await setup(t, {
    register: (dm) => {
      dm.table('Device.X_TEST_Limited.{i}.', { maxEntries: 2, uniqueKeys: [{ functional: false, params: ['Alias'] }] });
      dm.param('Device.X_TEST_Limited.{i}.Alias', { type: 'string', dataType: 'Alias', access: 'writeOnceReadOnly' });
    },
  });
  const T = 'Device.X_TEST_Limited.';
  const whole = await add(agent, false, [{ objPath: T }, { objPath: T }, { objPath: T }]);
  t.equal(whole.body.error?.errCode, 7005);
  t.strictSame(await rows(agent, T), [], 'allow_partial=false: none of the three');
  const partial = await add(agent, true, [{ objPath: T }, { objPath: T }, { objPath: T }]);
  t.strictSame(
    (partial.body.response?.addResp?.createdObjResults ?? []).map((r) => r.operStatus?.operSuccess?.instantiatedPath ?? r.operStatus?.operFailure?.errCode),
    [`${T}1.`, `${T}2.`, 7005],
  );
  await agent.request({ delete: { allowPartial: false, objPaths: [`${T}1.`] } });
  const refill = await add(agent, false, [{ objPath: T }]);
  t.equal(
    refill.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath,
    `${T}3.`,
    'room again after a delete; number 1 is not reused',
  );
});

t.test('An Alias must be non-empty and start with a letter: Add with Alias "" or "1x" fails on that key (TR-181 Alias, R-ADD.5)', async (t) => {
  const agent = await setup(t);
  for (const alias of ['', '1x']) {
    const reply = await add(agent, true, [{ objPath: SUBS, paramSettings: [{ param: 'Alias', value: alias, required: false }, { param: 'ID', value: `s-${alias}`, required: false }] }]);
    const failure = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operFailure;
    t.equal(failure?.errCode, 7021, `Alias '${alias}': unique-key params are implicitly required`);
  }
  t.strictSame(await rows(agent, SUBS), [], 'nothing was created');
});
