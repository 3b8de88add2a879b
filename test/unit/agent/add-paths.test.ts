/**
 * Add addressed by unique keys and search paths (TP-469 1.10, 1.95, R-ADD.2a, R-MSG.4a), Add on
 * paths that are not creatable tables (7018, 7019, 7026), and sub-object parameters (R-ARC.12).
 */
import t from 'tap';
import { add, params, rows, settings, setup, shape, sub, SUBS } from '../../helpers/add-helpers.js';

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
