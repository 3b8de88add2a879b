/**
 * Set on unique keys: non-functional keys are fixed, duplicates give 7025 (R-KEY.1, TP-469 1.96,
 * TR-106 unique keys).
 */
import t from 'tap';
import { add, S1, set, setup, shape, values } from '../../helpers/set-helpers.js';

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
