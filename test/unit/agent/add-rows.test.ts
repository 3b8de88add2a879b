/**
 * Added rows: instance numbers that only grow, rows that survive a restart (R-ARC.8), and a table
 * at maxEntries (7005).
 */
import t from 'tap';
import { add, params, restart, rows, settings, setup, sub, SUBS } from '../../helpers/add-helpers.js';

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
