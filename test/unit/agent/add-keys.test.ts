/**
 * Add and unique keys: generated keys and Alias values, implicitly required keys, duplicates
 * (R-ADD.5, TP-469 1.81, 1.88, §Error Codes 7025).
 */
import t from 'tap';
import { add, params, rows, settings, setup, shape, sub, SUBS } from '../../helpers/add-helpers.js';

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

t.test('An Alias must be non-empty and start with a letter: Add with Alias "" or "1x" fails on that key (TR-181 Alias, R-ADD.5)', async (t) => {
  const agent = await setup(t);
  for (const alias of ['', '1x']) {
    const reply = await add(agent, true, [{ objPath: SUBS, paramSettings: [{ param: 'Alias', value: alias, required: false }, { param: 'ID', value: `s-${alias}`, required: false }] }]);
    const failure = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operFailure;
    t.equal(failure?.errCode, 7021, `Alias '${alias}': unique-key params are implicitly required`);
  }
  t.strictSame(await rows(agent, SUBS), [], 'nothing was created');
});
