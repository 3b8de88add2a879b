/**
 * Set (TR-369 §The Set Message, R-SET.*, §Using Allow Partial and Required Parameters; USP-NOTES
 * §5.1, §5.3) through the real dispatcher, protobuf round trip and a temporary SQLite database.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import type { Requester } from '../../../agent/handlers/context.js';
import type { DecodedMsg } from '../../../proto/index.js';
import { CONTROLLER, freshAgent, startTestAgent, tempConfig } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

interface Setting {
  readonly param: string;
  readonly value: string;
  readonly required?: boolean;
}
interface UpdateObj {
  readonly objPath: string;
  readonly paramSettings: readonly Setting[];
}

const S1 = 'Device.LocalAgent.Subscription.1.';
const S2 = 'Device.LocalAgent.Subscription.2.';

async function setup(t: Test): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  return agent;
}

/** An agent whose MTP.1 was created by the agent itself (factory defaults), so its Alias is still unset. */
async function setupAliaslessMtp(t: Test): Promise<TestAgent> {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const defaults = join(dir, 'defaults.json');
  writeFileSync(defaults, JSON.stringify({ 'Device.LocalAgent.MTP.1.': { Protocol: 'MQTT' } }));
  const agent = await startTestAgent({ ...config, factoryDefaults: defaults }, dir);
  t.teardown(() => agent.close());
  return agent;
}

/** Reopens the agent's database (a restart) and closes the new handle in teardown. */
async function restart(t: Test, agent: TestAgent): Promise<TestAgent> {
  const again = await agent.reopen();
  t.teardown(() => again.close());
  return again;
}

function set(agent: TestAgent, allowPartial: boolean, updateObjs: readonly UpdateObj[], requester?: Requester): Promise<DecodedMsg> {
  return agent.request({ set: { allowPartial, updateObjs: updateObjs.map((u) => ({ objPath: u.objPath, paramSettings: [...u.paramSettings] })) } }, requester);
}

/**
 * The reply body as wire-shaped JSON (fields at their default value are omitted, as on the
 * wire) with every non-empty err_msg replaced by '…', so whole replies compare exactly.
 */
function shape(reply: DecodedMsg): unknown {
  return JSON.parse(JSON.stringify(reply.body), (k, v: unknown) => (k === 'errMsg' && typeof v === 'string' && v !== '' ? '…' : v));
}

/** Adds one row (allow_partial=false) and returns its instance path. */
async function add(agent: TestAgent, objPath: string, params: Record<string, string> = {}): Promise<string> {
  const paramSettings = Object.entries(params).map(([param, value]) => ({ param, value }));
  const reply = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath, paramSettings }] } });
  const path = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
  if (!path) throw new Error(`Add ${objPath} failed: ${JSON.stringify(reply.body)}`);
  return path;
}

/** Values of one parameter path (may be a search path), keyed by resolved object path. */
async function values(agent: TestAgent, paramPath: string): Promise<Record<string, string>> {
  const reply = await agent.request({ get: { paramPaths: [paramPath] } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  if (!r || r.errCode) throw new Error(`Get ${paramPath} failed: ${JSON.stringify(reply.body)}`);
  const name = paramPath.slice(paramPath.lastIndexOf('.') + 1);
  return Object.fromEntries((r.resolvedPathResults ?? []).map((x) => [x.resolvedPath ?? '', x.resultParams?.[name] ?? '']));
}

/** Everything the tests change, as one Get reply (no live clock values, so it is stable). */
async function snapshot(agent: TestAgent): Promise<unknown> {
  const reply = await agent.request({
    get: {
      paramPaths: [
        'Device.LocalAgent.Subscription.',
        'Device.LocalAgent.Controller.',
        'Device.LocalAgent.MTP.',
        'Device.Time.LocalTimeZone',
        'Device.Time.Enable',
        'Device.DeviceInfo.ProvisioningCode',
      ],
    },
  });
  return JSON.parse(JSON.stringify(reply.body));
}

async function twoSubscriptions(agent: TestAgent): Promise<void> {
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 's1', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.SoftwareVersion' });
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 's2', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.EndpointID' });
}

t.test('Set allow_partial=false with a passing required parameter returns oper_success with updated_params (TP-469 1.11)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [{ objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
  t.strictSame(await values(agent, `${S1}NotifRetry`), { [S1]: 'true' });
});

t.test('Set allow_partial=true with a passing required parameter returns oper_success (TP-469 1.12)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, true, [{ objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
});

t.test('Set allow_partial=false on several objects updates each of them (TP-469 1.13)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
    { objPath: S2, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
          { requestedPath: S2, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S2, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
  t.strictSame(await values(agent, 'Device.LocalAgent.Subscription.*.NotifRetry'), { [S1]: 'true', [S2]: 'true' });
});

t.test('§5.1 allow_partial=false, required parameter fails: Error with the FULL param_path, nothing changed (TP-469 1.14, R-SET.1)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    {
      objPath: S1,
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
      ],
    },
  ]);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${S1}InvalidParameter`, errCode: 7010, errMsg: '…' }] },
  });
  t.strictSame(await snapshot(agent), before, 'the passing NotifRetry change was rolled back too');
});

t.test('§5.1 allow_partial=false, required fails in the second object: Error and the first object is rolled back (TP-469 1.15)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
    { objPath: S2, paramSettings: [{ param: 'InvalidParameter', value: 'IrrelevantValue', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${S2}InvalidParameter`, errCode: 7010, errMsg: '…' }] },
  });
  t.strictSame(await snapshot(agent), before);
  t.strictSame(await snapshot(await restart(t, agent)), before, 'and nothing reached the database');
});

t.test(
  '§5.1 allow_partial=true, required fails in one object: oper_failure with updated_inst_failures, the other object is updated (TP-469 1.16)',
  async (t) => {
    const agent = await setup(t);
    await twoSubscriptions(agent);
    const reply = await set(agent, true, [
      { objPath: S1, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
      {
        objPath: S2,
        paramSettings: [
          { param: 'NotifRetry', value: 'true' },
          { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
        ],
      },
    ]);
    t.strictSame(shape(reply), {
      response: {
        setResp: {
          updatedObjResults: [
            { requestedPath: S1, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S1, updatedParams: { NotifRetry: 'true' } }] } } },
            {
              requestedPath: S2,
              operStatus: {
                operFailure: {
                  errCode: 7021,
                  errMsg: '…',
                  updatedInstFailures: [{ affectedPath: S2, paramErrs: [{ param: 'InvalidParameter', errCode: 7010, errMsg: '…' }] }],
                },
              },
            },
          ],
        },
      },
    });
    t.strictSame(await values(agent, 'Device.LocalAgent.Subscription.*.NotifRetry'), { [S1]: 'true', [S2]: 'false' }, 'the failed object keeps its old values');
  },
);

t.test('§5.1 a failing non-required parameter gives oper_success with relative param_errs, for allow_partial false and true (TP-469 1.17)', async (t) => {
  for (const allowPartial of [false, true]) {
    const agent = await setup(t);
    await twoSubscriptions(agent);
    const reply = await set(agent, allowPartial, [
      {
        objPath: S1,
        paramSettings: [
          { param: 'NotifRetry', value: 'true' },
          { param: 'InvalidParameter', value: 'IrrelevantValue' },
          { param: 'TimeToLive', value: '60', required: true },
        ],
      },
    ]);
    t.strictSame(
      shape(reply),
      {
        response: {
          setResp: {
            updatedObjResults: [
              {
                requestedPath: S1,
                operStatus: {
                  operSuccess: {
                    updatedInstResults: [
                      {
                        affectedPath: S1,
                        paramErrs: [{ param: 'InvalidParameter', errCode: 7010, errMsg: '…' }],
                        updatedParams: { NotifRetry: 'true', TimeToLive: '60' },
                      },
                    ],
                  },
                },
              },
            ],
          },
        },
      },
      `allow_partial=${allowPartial}`,
    );
    t.strictSame(await values(agent, `${S1}TimeToLive`), { [S1]: '60' });
  }
});

t.test('Set with unique-key addressing reports the instance-number path (TP-469 1.18, R-MSG.3)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const path = 'Device.LocalAgent.Subscription.[Recipient==""&&ID=="s2"].';
  const reply = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] }]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          { requestedPath: path, operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: S2, updatedParams: { NotifRetry: 'true' } }] } } },
        ],
      },
    },
  });
});

t.test('Set with a wildcard updates every instance (TP-469 1.19)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [
    { objPath: 'Device.LocalAgent.Subscription.*.', paramSettings: [{ param: 'NotifRetry', value: 'true', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.Subscription.*.',
            operStatus: {
              operSuccess: {
                updatedInstResults: [
                  { affectedPath: S1, updatedParams: { NotifRetry: 'true' } },
                  { affectedPath: S2, updatedParams: { NotifRetry: 'true' } },
                ],
              },
            },
          },
        ],
      },
    },
  });
});

t.test('Set with a wildcard, allow_partial=false, required fails: Error and no instance changed (R-SET.1, TP-469 1.20; see USP-NOTES §5.3)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, false, [
    {
      objPath: 'Device.LocalAgent.Subscription.*.',
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'InvalidParameter', value: 'IrrelevantValue', required: true },
      ],
    },
  ]);
  t.equal(reply.body.msgBody, 'error');
  t.equal(reply.body.error?.errCode, 7021);
  const pe = reply.body.error?.paramErrs ?? [];
  t.ok(pe.length >= 1, 'at least one ParamError');
  for (const p of pe) {
    t.match(p.paramPath, /^Device\.LocalAgent\.Subscription\.\d+\.InvalidParameter$/, 'full path, instance-number form');
    t.equal(p.errCode, 7010);
  }
  t.strictSame(await snapshot(agent), before);
});

t.test('Set with a wildcard, allow_partial=true, required fails: oper_failure with UpdatedInstanceFailures, nothing changed (TP-469 1.21)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const before = await snapshot(agent);
  const reply = await set(agent, true, [
    {
      objPath: 'Device.LocalAgent.Subscription.*.',
      paramSettings: [
        { param: 'NotifRetry', value: 'true' },
        { param: 'Enable', value: 'InvalidValue', required: true },
      ],
    },
  ]);
  const r = reply.body.response?.setResp?.updatedObjResults ?? [];
  t.equal(r.length, 1);
  t.equal(r[0]?.requestedPath, 'Device.LocalAgent.Subscription.*.');
  const failure = r[0]?.operStatus?.operFailure;
  t.equal(failure?.errCode, 7021);
  t.ok(failure?.errMsg);
  t.ok((failure?.updatedInstFailures?.length ?? 0) >= 1, 'at least one UpdatedInstanceFailure');
  for (const f of failure?.updatedInstFailures ?? []) {
    t.match(f.affectedPath, /^Device\.LocalAgent\.Subscription\.\d+\.$/);
    t.strictSame(
      (f.paramErrs ?? []).map((p) => [p.param, p.errCode]),
      [['Enable', 7011]],
    );
  }
  t.strictSame(await snapshot(agent), before, 'NotifRetry on the instances processed first was undone');
});

t.test('A search path matching several rows is handled holistically: one row fails, every row is left unchanged (R-SET.2a)', async (t) => {
  // MTP.1 has no Alias yet (writeOnceReadOnly: may be set once); MTP.2 has the generated one.
  const agent = await setupAliaslessMtp(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'STOMP' });
  const before = await snapshot(agent);
  const reply = await set(agent, true, [
    {
      objPath: 'Device.LocalAgent.MTP.*.',
      paramSettings: [
        { param: 'Enable', value: 'true' },
        { param: 'Alias', value: 'shared', required: true },
      ],
    },
    { objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'Europe/Paris', required: true }] },
  ]);
  t.strictSame(shape(reply), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.MTP.*.',
            operStatus: {
              operFailure: {
                errCode: 7021,
                errMsg: '…',
                updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.MTP.2.', paramErrs: [{ param: 'Alias', errCode: 7013, errMsg: '…' }] }],
              },
            },
          },
          {
            requestedPath: 'Device.Time.',
            operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: 'Device.Time.', updatedParams: { LocalTimeZone: 'Europe/Paris' } }] } },
          },
        ],
      },
    },
  });
  t.strictSame(
    await values(agent, 'Device.LocalAgent.MTP.*.Alias'),
    { 'Device.LocalAgent.MTP.1.': '', 'Device.LocalAgent.MTP.2.': 'cpe-2' },
    'MTP.1 Alias undone',
  );
  t.strictSame(
    await values(agent, 'Device.LocalAgent.MTP.*.Enable'),
    { 'Device.LocalAgent.MTP.1.': 'false', 'Device.LocalAgent.MTP.2.': 'false' },
    'MTP.1 Enable undone',
  );
  t.strictSame(await values(agent, 'Device.Time.LocalTimeZone'), { 'Device.Time.': 'Europe/Paris' }, 'the other requested path went ahead');
  t.notSame(await snapshot(agent), before);
});

t.test('A search path whose rows only conflict together fails as a whole with 7025 (R-SET.2a, unique keys checked after the path)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1', Enable: 'true' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c2', Enable: 'true' });
  const before = await snapshot(agent);
  const path = 'Device.LocalAgent.Controller.[Enable==true].';
  const partial = await set(agent, true, [{ objPath: path, paramSettings: [{ param: 'EndpointID', value: 'proto::same', required: true }] }]);
  t.strictSame(shape(partial), {
    response: {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: path,
            operStatus: { operFailure: { errCode: 7025, errMsg: '…', updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.Controller.2.' }] } },
          },
        ],
      },
    },
  });
  t.strictSame(await snapshot(agent), before);
  const whole = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'EndpointID', value: 'proto::same', required: true }] }]);
  t.equal(whole.body.error?.errCode, 7025, 'allow_partial=false: Error');
  t.ok((whole.body.error?.paramErrs ?? []).every((p) => p.errCode === 7025 && p.paramPath?.startsWith('Device.LocalAgent.Controller.')));
  t.strictSame(await snapshot(agent), before);
});

t.test('Set with a search path that matches nothing returns an empty oper_success (TP-469 1.23, R-MSG.4a)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const paths = ['Device.LocalAgent.Subscription.[Recipient=="InvalidValue"].', 'Device.LocalAgent.Controller.*.', 'Device.LocalAgent.Controller.*.MTP.*.'];
  for (const allowPartial of [true, false]) {
    const reply = await set(
      agent,
      allowPartial,
      paths.map((objPath) => ({ objPath, paramSettings: [{ param: 'Enable', value: 'true', required: true }] })),
    );
    t.strictSame(
      shape(reply),
      { response: { setResp: { updatedObjResults: paths.map((requestedPath) => ({ requestedPath, operStatus: { operSuccess: {} } })) } } },
      `allow_partial=${allowPartial}`,
    );
  }
});

t.test('updated_params holds the value after the update, including unchanged and canonicalised values (R-SET.3 note)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const reply = await set(agent, false, [
    {
      objPath: S1,
      paramSettings: [
        { param: 'Persistent', value: 'false' },
        { param: 'Enable', value: '1' },
        { param: 'NotifExpiration', value: '007' },
        { param: 'TriggerAction', value: 'Notify' },
      ],
    },
  ]);
  t.strictSame(reply.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, {
    Persistent: 'false',
    Enable: 'true',
    NotifExpiration: '7',
    TriggerAction: 'Notify',
  });
});

t.test('Wrong types give 7011, out-of-range and non-enumerated values 7012, read-only 7013, unknown parameters 7010 (§Error Codes)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'MQTT' });
  const reply = await set(agent, true, [
    {
      objPath: S1,
      paramSettings: [
        { param: 'Enable', value: 'maybe' },
        { param: 'TimeToLive', value: 'abc' },
        { param: 'TimeToLive', value: '-1' },
        { param: 'NotifExpiration', value: '4294967296' },
        { param: 'TriggerAction', value: 'Bogus' },
        { param: 'Recipient', value: 'Device.LocalAgent.Controller.1' },
        { param: 'CreationDate', value: '2020-01-01T00:00:00Z' },
        { param: 'Bogus', value: '1' },
        { param: 'Stats.Bogus', value: '1' },
        { param: 'NotifRetry', value: 'true' },
      ],
    },
    {
      objPath: 'Device.LocalAgent.MTP.1.',
      paramSettings: [
        { param: 'MQTT.PublishQoS', value: '3' },
        { param: 'MQTT.PublishQoS', value: '2' },
        { param: 'Status', value: 'Up' },
      ],
    },
    {
      objPath: 'Device.DeviceInfo.',
      paramSettings: [
        { param: 'Manufacturer', value: 'x' },
        { param: 'SerialNumber', value: 'x' },
        { param: 'UpTime', value: '1' },
        { param: 'FirmwareImageNumberOfEntries', value: '3' },
        { param: 'ProvisioningCode', value: 'PC-1' },
      ],
    },
    {
      objPath: 'Device.Time.',
      paramSettings: [
        { param: 'LocalTimeZone', value: 'Nowhere/Atlantis' },
        { param: 'CurrentLocalTime', value: '2020-01-01T00:00:00Z' },
      ],
    },
  ]);
  const results = reply.body.response?.setResp?.updatedObjResults ?? [];
  const codes = results.map((r) => (r.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs ?? []).map((p) => [p.param, p.errCode]));
  t.strictSame(codes, [
    [
      ['Enable', 7011],
      ['TimeToLive', 7011],
      ['TimeToLive', 7012],
      ['NotifExpiration', 7012],
      ['TriggerAction', 7012],
      ['Recipient', 7013],
      ['CreationDate', 7013],
      ['Bogus', 7010],
      ['Stats.Bogus', 7010],
    ],
    [
      ['MQTT.PublishQoS', 7012],
      ['Status', 7013],
    ],
    [
      ['Manufacturer', 7013],
      ['SerialNumber', 7013],
      ['UpTime', 7013],
      ['FirmwareImageNumberOfEntries', 7013],
    ],
    [
      ['LocalTimeZone', 7012],
      ['CurrentLocalTime', 7013],
    ],
  ]);
  t.strictSame(
    results.map((r) => ({ ...r.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams })),
    [{ NotifRetry: 'true' }, { 'MQTT.PublishQoS': '2' }, { ProvisioningCode: 'PC-1' }, {}],
    'the good settings went through, keyed by their relative path',
  );
  for (const r of results) for (const p of r.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs ?? []) t.ok(p.errMsg, `${p.param}: has err_msg`);
});

t.test('Set on a read-only parameter as required: Error 7021 with param_errs naming the full path and 7013 (R-SET.2)', async (t) => {
  const agent = await setup(t);
  const reply = await set(agent, false, [
    {
      objPath: 'Device.DeviceInfo.',
      paramSettings: [
        { param: 'ProvisioningCode', value: 'PC-2' },
        { param: 'Manufacturer', value: 'x', required: true },
      ],
    },
  ]);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: 'Device.DeviceInfo.Manufacturer', errCode: 7013, errMsg: '…' }] },
  });
  t.strictSame(await values(agent, 'Device.DeviceInfo.ProvisioningCode'), { 'Device.DeviceInfo.': '' });
});

t.test('Device.Time.LocalTimeZone accepts IANA zones and rejects unknown ones with 7012', async (t) => {
  const agent = await setup(t);
  const ok = await set(agent, false, [{ objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'America/New_York', required: true }] }]);
  t.equal(ok.body.msgBody, 'response');
  const bad = await set(agent, false, [{ objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'Mars/Olympus_Mons', required: true }] }]);
  t.strictSame(shape(bad), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: 'Device.Time.LocalTimeZone', errCode: 7012, errMsg: '…' }] },
  });
  t.strictSame(await values(agent, 'Device.Time.LocalTimeZone'), { 'Device.Time.': 'America/New_York' });
});

t.test('writeOnceReadOnly Alias can be set once when still empty, then gives 7013 (§Parameter Access, TP-469 1.104)', async (t) => {
  const agent = await setupAliaslessMtp(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'STOMP' });
  const first = await set(agent, false, [{ objPath: 'Device.LocalAgent.MTP.1.', paramSettings: [{ param: 'Alias', value: 'mtp-a', required: true }] }]);
  t.strictSame(first.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, { Alias: 'mtp-a' });
  for (const [path, old] of [
    ['Device.LocalAgent.MTP.1.', 'mtp-a'],
    ['Device.LocalAgent.MTP.2.', 'cpe-2'],
  ] as const) {
    const again = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'Alias', value: 'mtp-b', required: true }] }]);
    t.strictSame(shape(again), { error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${path}Alias`, errCode: 7013, errMsg: '…' }] } });
    t.strictSame(await values(agent, `${path}Alias`), { [path]: old });
  }
});

t.test('Non-functional unique keys cannot be changed; functional ones can (R-KEY.1, TP-469 1.96)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 'add96' });
  await add(agent, 'Device.MQTT.Client.', { Name: 'broker-a' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  const sub = await set(agent, false, [{ objPath: S1, paramSettings: [{ param: 'ID', value: 'add96-NEW', required: true }] }]);
  t.strictSame(shape(sub), { error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `${S1}ID`, errCode: 7013, errMsg: '…' }] } });
  const mqtt = await set(agent, true, [{ objPath: 'Device.MQTT.Client.1.', paramSettings: [{ param: 'Name', value: 'broker-b' }] }]);
  t.strictSame(
    (mqtt.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs ?? []).map((p) => [p.param, p.errCode]),
    [['Name', 7013]],
  );
  const ctl = await set(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.1.', paramSettings: [{ param: 'EndpointID', value: 'proto::c1-new', required: true }] },
  ]);
  t.equal(ctl.body.msgBody, 'response', 'EndpointID is a functional key: it may change');
  t.strictSame(await values(agent, `${S1}ID`), { [S1]: 'add96' });
  t.strictSame(await values(agent, 'Device.MQTT.Client.1.Name'), { 'Device.MQTT.Client.1.': 'broker-a' });
  t.strictSame(await values(agent, 'Device.LocalAgent.Controller.1.EndpointID'), { 'Device.LocalAgent.Controller.1.': 'proto::c1-new' });
});

t.test('A duplicate unique key gives 7025; disabled rows may share a functional key (§Error Codes, TR-106 unique keys)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1', Enable: 'true' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c2', Enable: 'true' });
  const C2 = 'Device.LocalAgent.Controller.2.';
  const whole = await set(agent, false, [{ objPath: C2, paramSettings: [{ param: 'EndpointID', value: 'proto::c1' }] }]);
  t.equal(whole.body.error?.errCode, 7025, 'allow_partial=false: Error 7025');
  t.ok((whole.body.error?.paramErrs?.length ?? 0) >= 1);
  const partial = await set(agent, true, [{ objPath: C2, paramSettings: [{ param: 'EndpointID', value: 'proto::c1' }] }]);
  t.strictSame(shape(partial), {
    response: {
      setResp: {
        updatedObjResults: [{ requestedPath: C2, operStatus: { operFailure: { errCode: 7025, errMsg: '…', updatedInstFailures: [{ affectedPath: C2 }] } } }],
      },
    },
  });
  t.strictSame(await values(agent, 'Device.LocalAgent.Controller.*.EndpointID'), { 'Device.LocalAgent.Controller.1.': 'proto::c1', [C2]: 'proto::c2' });

  const disabled = await set(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.*.', paramSettings: [{ param: 'Enable', value: 'false' }] },
    { objPath: C2, paramSettings: [{ param: 'EndpointID', value: 'proto::c1', required: true }] },
  ]);
  t.equal(disabled.body.msgBody, 'response', 'both disabled: the functional key may repeat');
  const enableBoth = await set(agent, false, [
    { objPath: 'Device.LocalAgent.Controller.*.', paramSettings: [{ param: 'Enable', value: 'true', required: true }] },
  ]);
  t.equal(enableBoth.body.error?.errCode, 7025, 'enabling both would make the key clash');
  t.strictSame(await values(agent, 'Device.LocalAgent.Controller.*.Enable'), { 'Device.LocalAgent.Controller.1.': 'false', [C2]: 'false' });
});

t.test('Per-path failures: absent instance 7016, table or parameter path 7026, unknown object 7026, bad syntax 7008', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const paths: [string, number][] = [
    ['Device.LocalAgent.Subscription.42.', 7016],
    ['Device.LocalAgent.Subscription.', 7026],
    [`${S1}Enable`, 7026],
    ['Device.LocalAgent.InvalidObject.', 7026],
    ['Device.LocalAgent.Subscription.[Enable==maybe].', 7008],
  ];
  const partial = await set(agent, true, [
    ...paths.map(([objPath]) => ({ objPath, paramSettings: [{ param: 'Enable', value: 'true' }] })),
    { objPath: S1, paramSettings: [{ param: 'Enable', value: 'true' }] },
  ]);
  const results = partial.body.response?.setResp?.updatedObjResults ?? [];
  t.strictSame(
    results.map((r) => [r.requestedPath, r.operStatus?.operFailure?.errCode ?? 'success']),
    [...paths, [S1, 'success']],
  );
  t.strictSame(await values(agent, `${S1}Enable`), { [S1]: 'true' }, 'allow_partial=true: the valid path is applied');
  for (const [objPath, code] of paths) {
    const whole = await set(agent, false, [
      { objPath: S2, paramSettings: [{ param: 'Enable', value: 'true' }] },
      { objPath, paramSettings: [{ param: 'Enable', value: 'true' }] },
    ]);
    t.strictSame(
      shape(whole),
      { error: { errCode: code, errMsg: '…', paramErrs: [{ paramPath: objPath, errCode: code, errMsg: '…' }] } },
      `${objPath}: Error ${code}`,
    );
  }
  t.strictSame(await values(agent, `${S2}Enable`), { [S2]: 'false' }, 'allow_partial=false: nothing applied');
});

t.test('A secured value appears as "" in updated_params for a controller without SecuredRoles (R-SET.3, TP-469 2.27)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.MQTT.Client.', { Name: 'broker-a' });
  const C = 'Device.MQTT.Client.1.';
  const asController = await set(
    agent,
    false,
    [
      {
        objPath: C,
        paramSettings: [
          { param: 'Password', value: 'pw-1' },
          { param: 'Username', value: 'u1' },
        ],
      },
    ],
    CONTROLLER,
  );
  t.strictSame(asController.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, {
    Password: '',
    Username: 'u1',
  });
  t.strictSame(await values(agent, `${C}Password`), { [C]: 'pw-1' }, 'the value was stored');
  const asAdmin = await set(agent, false, [{ objPath: C, paramSettings: [{ param: 'Password', value: 'pw-2' }] }]);
  t.strictSame(asAdmin.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, { Password: 'pw-2' });
});

t.test('A Set search path cannot select rows by a secured value the controller cannot read (TP-469 2.27)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.MQTT.Client.', { Name: 'broker-a', Password: 's3cret' });
  const path = 'Device.MQTT.Client.[Password=="s3cret"].';
  const asController = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'Enable', value: 'true' }] }], CONTROLLER);
  t.strictSame(shape(asController), { response: { setResp: { updatedObjResults: [{ requestedPath: path, operStatus: { operSuccess: {} } }] } } });
  t.strictSame(await values(agent, 'Device.MQTT.Client.1.Enable'), { 'Device.MQTT.Client.1.': 'false' });
  const asAdmin = await set(agent, false, [{ objPath: path, paramSettings: [{ param: 'Enable', value: 'true' }] }]);
  t.equal(asAdmin.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.affectedPath, 'Device.MQTT.Client.1.');
});

t.test('A strong reference must name an existing row under its targetParent (R-ARC.12, TR-106 pathRef)', async (t) => {
  const agent = await setup(t);
  await add(agent, 'Device.LocalAgent.MTP.', { Protocol: 'MQTT' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1' });
  await add(agent, 'Device.LocalAgent.Controller.1.MTP.', { Protocol: 'MQTT' });
  const CM = 'Device.LocalAgent.Controller.1.MTP.1.';
  const reply = await set(agent, true, [
    { objPath: CM, paramSettings: [{ param: 'MQTT.AgentMTPReference', value: 'Device.LocalAgent.MTP.9' }] },
    { objPath: CM, paramSettings: [{ param: 'MQTT.AgentMTPReference', value: 'Device.LocalAgent.Controller.1' }] },
    // targetParent `###.MTP.`: three levels up from Controller.{i}.MTP.{i}.MQTT., i.e. Device.LocalAgent.MTP.
    { objPath: CM, paramSettings: [{ param: 'MQTT.AgentMTPReference', value: 'Device.LocalAgent.MTP.1', required: true }] },
  ]);
  const results = reply.body.response?.setResp?.updatedObjResults ?? [];
  t.strictSame(
    results.slice(0, 2).map((r) => (r.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs ?? []).map((p) => [p.param, p.errCode])),
    [[['MQTT.AgentMTPReference', 7012]], [['MQTT.AgentMTPReference', 7012]]],
    'a missing target and a row outside the targetParent are invalid values',
  );
  t.strictSame(results[2]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, { 'MQTT.AgentMTPReference': 'Device.LocalAgent.MTP.1' });
  t.strictSame(await values(agent, `${CM}MQTT.AgentMTPReference`), { [`${CM}MQTT.`]: 'Device.LocalAgent.MTP.1' });
});

t.test('A strong reference with a targetParent relative to its own object (DeviceInfo.BootFirmwareImage → FirmwareImage.) (R-ARC.12)', async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const defaults = join(dir, 'defaults.json');
  writeFileSync(defaults, JSON.stringify({ 'Device.DeviceInfo.FirmwareImage.1.': { Alias: 'fw-a', Name: 'image-a' } }));
  const agent = await startTestAgent({ ...config, factoryDefaults: defaults }, dir);
  t.teardown(() => agent.close());
  const ok = await set(agent, false, [
    { objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'BootFirmwareImage', value: 'Device.DeviceInfo.FirmwareImage.1', required: true }] },
  ]);
  t.equal(ok.body.msgBody, 'response', JSON.stringify(ok.body));
  const bad = await set(agent, false, [
    { objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'BootFirmwareImage', value: 'Device.DeviceInfo.FirmwareImage.2', required: true }] },
  ]);
  t.strictSame(shape(bad), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: 'Device.DeviceInfo.BootFirmwareImage', errCode: 7012, errMsg: '…' }] },
  });
  t.strictSame(await values(agent, 'Device.DeviceInfo.BootFirmwareImage'), { 'Device.DeviceInfo.': 'Device.DeviceInfo.FirmwareImage.1' });
});

t.test('A successful Set is durable; failed Sets leave memory and database unchanged (Get, then after a restart)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c1', Enable: 'true' });
  await add(agent, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::c2', Enable: 'true' });
  const ok = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'TimeToLive', value: '3600' }] },
    { objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: 'PC-9' }] },
  ]);
  t.equal(ok.body.msgBody, 'response');
  const before = await snapshot(agent);
  const failing: UpdateObj[][] = [
    [
      { objPath: 'Device.LocalAgent.Subscription.*.', paramSettings: [{ param: 'NotifRetry', value: 'true' }] },
      { objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'Europe/Berlin' }] },
      { objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: 'PC-10' }] },
      { objPath: S2, paramSettings: [{ param: 'TimeToLive', value: 'forever', required: true }] },
    ],
    [
      { objPath: 'Device.LocalAgent.Controller.1.', paramSettings: [{ param: 'ProvisioningCode', value: 'x' }] },
      { objPath: 'Device.LocalAgent.Controller.2.', paramSettings: [{ param: 'EndpointID', value: 'proto::c1' }] },
    ],
    [
      { objPath: S1, paramSettings: [{ param: 'Enable', value: 'true' }] },
      { objPath: 'Device.LocalAgent.Subscription.7.', paramSettings: [{ param: 'Enable', value: 'true' }] },
    ],
  ];
  for (const updateObjs of failing) {
    const reply = await set(agent, false, updateObjs);
    t.equal(reply.body.msgBody, 'error');
    t.strictSame(await snapshot(agent), before, `after failing Set ${updateObjs.map((u) => u.objPath).join(' + ')}`);
  }
  const again = await restart(t, agent);
  t.strictSame(await snapshot(again), before, 'after a restart the database holds the last successful Set only');
  t.strictSame(await values(again, `${S1}TimeToLive`), { [S1]: '3600' });
});

t.test('Change listeners hear of a Set only after it commits, and never of a failed one (STYLE §2.8)', async (t) => {
  const agent = await setup(t);
  await twoSubscriptions(agent);
  const heard: string[] = [];
  const off = agent.dm.onChange((events) => {
    for (const e of events) if (e.kind === 'value') heard.push(`${e.objPath}${e.name}=${e.newValue}`);
  });
  t.teardown(off);
  const failed = await set(agent, false, [
    { objPath: S1, paramSettings: [{ param: 'TimeToLive', value: '10' }] },
    { objPath: S2, paramSettings: [{ param: 'TimeToLive', value: 'x', required: true }] },
  ]);
  t.equal(failed.body.msgBody, 'error');
  t.strictSame(heard, [], 'nothing heard from the rolled-back Set');
  const ok = await set(agent, true, [
    {
      objPath: S1,
      paramSettings: [
        { param: 'TimeToLive', value: '10' },
        { param: 'Persistent', value: 'false' },
      ],
    },
    { objPath: S2, paramSettings: [{ param: 'TimeToLive', value: 'x', required: true }] },
  ]);
  t.equal(ok.body.msgBody, 'response');
  t.strictSame(heard, [`${S1}TimeToLive=10`], 'only the committed change, and not the unchanged Persistent');
});

t.test('One Set with 10,000 parameter settings that fails on the last one: Error, nothing changed, agent still fine (R-SET.1)', async (t) => {
  const agent = await setup(t);
  const ROWS = 1000;
  const PER_ROW = 10;
  await add(agent, 'Device.BulkData.Profile.', { Name: 'big' });
  const created = await agent.request({
    add: {
      allowPartial: false,
      createObjs: Array.from({ length: ROWS }, (_, i) => ({
        objPath: 'Device.BulkData.Profile.1.Parameter.',
        paramSettings: [{ param: 'Name', value: `p${i + 1}` }],
      })),
    },
  });
  t.equal(created.body.response?.addResp?.createdObjResults?.length, ROWS);
  const before = await agent.request({ get: { paramPaths: ['Device.BulkData.Profile.1.'] } });
  const beforeJson = JSON.stringify(before.body);

  const updateObjs: UpdateObj[] = [];
  for (let row = 1; row <= ROWS; row++) {
    const paramSettings: Setting[] = [];
    for (let k = 0; k < PER_ROW; k++) {
      const which = k % 3;
      paramSettings.push(
        which === 0
          ? { param: 'Name', value: `renamed-${row}-${k}` }
          : which === 1
            ? { param: 'Reference', value: `Device.DeviceInfo.X_${row}_${k}` }
            : { param: 'Exclude', value: k % 2 === 0 ? 'true' : 'false' },
      );
    }
    updateObjs.push({ objPath: `Device.BulkData.Profile.1.Parameter.${row}.`, paramSettings });
  }
  const last = updateObjs[ROWS - 1] as UpdateObj;
  const bad: UpdateObj = {
    objPath: last.objPath,
    paramSettings: [...last.paramSettings.slice(0, PER_ROW - 1), { param: 'Exclude', value: 'maybe', required: true }],
  };
  const failing = [...updateObjs.slice(0, ROWS - 1), bad];
  t.equal(
    failing.reduce((n, u) => n + u.paramSettings.length, 0),
    10_000,
  );

  const reply = await set(agent, false, failing);
  t.strictSame(shape(reply), {
    error: { errCode: 7021, errMsg: '…', paramErrs: [{ paramPath: `Device.BulkData.Profile.1.Parameter.${ROWS}.Exclude`, errCode: 7011, errMsg: '…' }] },
  });
  const after = await agent.request({ get: { paramPaths: ['Device.BulkData.Profile.1.'] } });
  t.equal(JSON.stringify(after.body), beforeJson, 'no parameter of the 1,000 rows changed');

  const again = await restart(t, agent);
  const reloaded = await again.request({ get: { paramPaths: ['Device.BulkData.Profile.1.'] } });
  t.equal(JSON.stringify(reloaded.body), beforeJson, 'and nothing reached the database');

  const good = await set(again, false, updateObjs);
  const results = good.body.response?.setResp?.updatedObjResults ?? [];
  t.equal(results.length, ROWS, 'the same message without the bad value succeeds');
  t.ok(results.every((r) => r.operStatus?.operSuccess?.updatedInstResults?.length === 1));
  t.strictSame(
    await values(again, `Device.BulkData.Profile.1.Parameter.${ROWS}.Name`),
    { [`Device.BulkData.Profile.1.Parameter.${ROWS}.`]: `renamed-${ROWS}-9` },
    'last setting of a repeated param wins',
  );
  t.strictSame(await values(again, 'Device.BulkData.Profile.1.Parameter.1.Exclude'), { 'Device.BulkData.Profile.1.Parameter.1.': 'true' });
});
