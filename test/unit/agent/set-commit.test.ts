/**
 * Set commits as a whole: durability across a restart, change events only after commit (STYLE §2.8)
 * and a 10,000-setting Set that fails on its last value (R-SET.1).
 */
import t from 'tap';
import { add, restart, S1, S2, set, setup, shape, snapshot, twoSubscriptions, values } from '../../helpers/set-helpers.js';
import type { Setting, UpdateObj } from '../../helpers/set-helpers.js';

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
