/**
 * Set parameter values: updated_params, type/range/access errors (§Error Codes), writeOnceReadOnly,
 * secured values (R-SET.3, TP-469 2.27) and strong references (R-ARC.12).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CONTROLLER, startTestAgent, tempConfig } from '../../helpers/agent.js';
import { add, S1, set, setup, setupAliaslessMtp, shape, twoSubscriptions, values } from '../../helpers/set-helpers.js';

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
