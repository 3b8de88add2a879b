// What the notifier sends and to whom (agent/notify/notifier.ts, match.ts, sampler.ts): every
// notification type with its fields, ReferenceList matching (parameter, object prefix, wildcard,
// search), recipients (each controller hears only its own subscriptions), Boot!, Periodic! and
// OnBoardRequest. The send function records; time is a fake clock.
import t from 'tap';
import { ADMIN_REQUESTER } from '../../../helpers/agent.js';
import { add, AS_C1, AS_C2, C1, C1_PATH, C2, C2_PATH, del, rig, set, settle, subscribe, SUBS } from '../../../helpers/notify.js';

t.test('ValueChange: a committed change of a stored parameter, whoever made it, goes to the subscriber only', async (t) => {
  const { agent, rec } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'tz', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone' });
  t.equal((await set(agent, AS_C2, 'Device.Time.', { LocalTimeZone: 'Europe/Paris' })).body.msgBody, 'response');
  await rec.until(() => rec.of('valueChange').length === 1, 'the ValueChange');
  const [vc] = rec.of('valueChange');
  t.equal(vc?.to, C1, 'sent to the Recipient (C1), although C2 made the change');
  t.equal(vc?.notify.subscriptionId, 'tz', 'subscription_id is the row ID');
  t.equal(vc?.notify.sendResp, false, 'NotifRetry=false: send_resp=false');
  t.strictSame([vc?.notify.valueChange?.paramPath, vc?.notify.valueChange?.paramValue], ['Device.Time.LocalTimeZone', 'Europe/Paris']);

  await set(agent, ADMIN_REQUESTER, 'Device.Time.', { LocalTimeZone: 'UTC' });
  await agent.dm.transaction((txn) => {
    const inst = agent.dm.tree.get('Device.Time.');
    const p = inst?.node.params.get('LocalTimeZone');
    if (inst && p) txn.setValue(inst, p, 'Asia/Tokyo');
  });
  await rec.until(() => rec.of('valueChange').length === 3, 'two more');
  t.strictSame(
    rec.of('valueChange').map((s) => s.notify.valueChange?.paramValue),
    ['Europe/Paris', 'UTC', 'Asia/Tokyo'],
    'changes by the admin CLI and through the vendor API (a transaction) are notified too',
  );
  t.equal(rec.of('valueChange', C2).length, 0, 'C2 has no subscription and hears nothing');
});

t.test('ValueChange matching: object path prefix, wildcard and search path; disabled rows are inert', async (t) => {
  const { agent, rec } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'prefix', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.' });
  await subscribe(agent, AS_C2, { ID: 'wild', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.*.ProvisioningCode' });
  await subscribe(agent, AS_C2, { ID: 'search', NotifType: 'ValueChange', ReferenceList: `Device.LocalAgent.Controller.[EndpointID=="${C2}"].ControllerCode` });
  await subscribe(agent, AS_C2, { ID: 'off', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.', Enable: 'false' });
  await set(agent, ADMIN_REQUESTER, C1_PATH, { ProvisioningCode: 'p1', ControllerCode: 'c1' });
  await set(agent, ADMIN_REQUESTER, `${C2_PATH}E2ESession.`, { SessionExpiration: '30' });
  await set(agent, ADMIN_REQUESTER, C2_PATH, { ControllerCode: 'c2' });
  await settle();
  const got = (to: string): string[] => rec.of('valueChange', to).map((s) => `${s.notify.subscriptionId}:${s.notify.valueChange?.paramPath ?? ''}`);
  t.strictSame(
    got(C1),
    [
      `prefix:${C1_PATH}ProvisioningCode`,
      `prefix:${C1_PATH}ControllerCode`,
      `prefix:${C2_PATH}E2ESession.SessionExpiration`,
      `prefix:${C2_PATH}ControllerCode`,
    ],
    'an object path covers every parameter below it, single-instance children included',
  );
  t.strictSame(
    got(C2),
    [`wild:${C1_PATH}ProvisioningCode`, `search:${C2_PATH}ControllerCode`],
    'wildcard and search paths select the instances; the disabled row sends nothing',
  );
});

t.test('ObjectCreation carries the unique keys; ObjectDeletion covers child rows too, children first', async (t) => {
  const { agent, rec } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'new', NotifType: 'ObjectCreation', ReferenceList: 'Device.LocalAgent.Controller.' });
  await subscribe(agent, AS_C2, {
    ID: 'gone',
    NotifType: 'ObjectDeletion',
    ReferenceList: 'Device.LocalAgent.Controller.*.,Device.LocalAgent.Controller.*.MTP.*.',
  });
  const ctrl = await add(agent, ADMIN_REQUESTER, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::third', Alias: 'third' });
  await rec.until(() => rec.of('objCreation').length === 1, 'the ObjectCreation');
  const [oc] = rec.of('objCreation');
  t.equal(oc?.to, C1);
  t.equal(oc?.notify.objCreation?.objPath, ctrl, 'obj_path is the new instance path');
  t.strictSame({ ...oc?.notify.objCreation?.uniqueKeys }, { EndpointID: 'proto::third', Alias: 'third' }, 'unique_keys holds every unique-key parameter');
  const mtp = await add(agent, ADMIN_REQUESTER, `${ctrl}MTP.`, { Protocol: 'MQTT' });
  t.equal(rec.of('objCreation').length, 1, 'a row of another table does not match');
  t.equal((await del(agent, ADMIN_REQUESTER, ctrl)).body.msgBody, 'response');
  await rec.until(() => rec.of('objDeletion').length === 2, 'two ObjectDeletions');
  t.strictSame(
    rec.of('objDeletion').map((s) => [s.to, s.notify.subscriptionId, s.notify.objDeletion?.objPath]),
    [
      [C2, 'gone', mtp],
      [C2, 'gone', ctrl],
    ],
    'the child row deleted with its parent is announced, before the parent',
  );
});

t.test('Event and OperationComplete through the EventSink, with their fields', async (t) => {
  const { agent, rec, notifier } = await rig(t, {
    agent: {
      register: (dm) => {
        dm.object('Device.X_TEST_Notify.');
        dm.command('Device.X_TEST_Notify.Run()', { mode: 'async', output: ['Status'], run: () => ({ Status: 'Complete' }) });
      },
    },
  });
  await subscribe(agent, AS_C1, { ID: 'ev', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.TransferComplete!' });
  await subscribe(agent, AS_C2, { ID: 'all-ops', NotifType: 'OperationComplete', ReferenceList: 'Device.' });
  await subscribe(agent, AS_C1, { ID: 'st', NotifType: 'OperationComplete', ReferenceList: 'Device.X_TEST_Notify.Run()' });
  notifier.event('Device.LocalAgent.', 'TransferComplete!', { Command: 'Device.DeviceInfo.FirmwareImage.1.Download()', FaultCode: '0' });
  notifier.event('Device.LocalAgent.', 'WakeUp!', {});
  notifier.operationComplete('Device.X_TEST_Notify.', 'Run()', 'key-1', { ok: true, outputArgs: { Status: 'Complete' } });
  notifier.operationComplete('Device.LocalAgent.Controller.1.', 'SendOnBoardRequest()', 'key-2', { ok: false, errCode: 7022, errMsg: 'broken' });
  await rec.until(() => rec.sent.length === 4, 'four notifications');
  const ev = rec.of('event');
  t.strictSame(
    ev.map((s) => [s.to, s.notify.subscriptionId, s.notify.event?.objPath, s.notify.event?.eventName, { ...s.notify.event?.params }]),
    [[C1, 'ev', 'Device.LocalAgent.', 'TransferComplete!', { Command: 'Device.DeviceInfo.FirmwareImage.1.Download()', FaultCode: '0' }]],
    'the subscribed event only',
  );
  const ops = rec
    .of('operComplete')
    .map((s) => [s.to, s.notify.subscriptionId, s.notify.operComplete?.objPath, s.notify.operComplete?.commandName, s.notify.operComplete?.commandKey]);
  t.strictSame(ops, [
    [C2, 'all-ops', 'Device.X_TEST_Notify.', 'Run()', 'key-1'],
    [C1, 'st', 'Device.X_TEST_Notify.', 'Run()', 'key-1'],
    [C2, 'all-ops', 'Device.LocalAgent.Controller.1.', 'SendOnBoardRequest()', 'key-2'],
  ]);
  const [ok, , failed] = rec.of('operComplete');
  t.strictSame({ ...ok?.notify.operComplete?.reqOutputArgs?.outputArgs }, { Status: 'Complete' }, 'output args on success');
  t.strictSame([failed?.notify.operComplete?.cmdFailure?.errCode, failed?.notify.operComplete?.cmdFailure?.errMsg], [7022, 'broken'], 'cmd_failure on failure');
});

t.test('Boot! once at start-up, with Cause/CommandKey and a ParameterMap per recipient (TP-469 9.10)', async (t) => {
  const first = await rig(t);
  const { agent } = first;
  await subscribe(agent, AS_C1, { ID: 'boot1', NotifType: 'Event', ReferenceList: 'Device.Boot!', Persistent: 'true' });
  await subscribe(agent, AS_C2, { ID: 'boot2', NotifType: 'Event', ReferenceList: 'Device.', Persistent: 'true' });
  await add(agent, AS_C1, `${C1_PATH}BootParameter.`, { Enable: 'true', ParameterName: 'Device.LocalAgent.Controller.*.EndpointID' });
  await add(agent, AS_C1, `${C1_PATH}BootParameter.`, { Enable: 'false', ParameterName: 'Device.Time.LocalTimeZone' });
  await add(agent, AS_C2, `${C2_PATH}BootParameter.`, { Enable: 'true', ParameterName: 'Device.Time.' });
  t.equal(first.rec.of('event').length, 0, 'no Boot! before a start');
  const r = await first.restart({ bootInfo: () => ({ cause: 'RemoteReboot', commandKey: 'reboot-7', reason: 'maintenance', firmwareUpdated: false }) });
  await r.rec.until(() => r.rec.of('event').length === 2, 'two Boot! events');
  const byTo = new Map(r.rec.of('event').map((s) => [s.to, s.notify]));
  const b1 = byTo.get(C1)?.event;
  t.equal(byTo.get(C1)?.subscriptionId, 'boot1');
  t.strictSame([b1?.objPath, b1?.eventName], ['Device.', 'Boot!']);
  t.strictSame(
    { ...b1?.params, ParameterMap: undefined },
    { CommandKey: 'reboot-7', Cause: 'RemoteReboot', Reason: 'maintenance', FirmwareUpdated: 'false', ParameterMap: undefined },
    'Cause and CommandKey as recorded',
  );
  t.strictSame(
    JSON.parse(b1?.params?.['ParameterMap'] ?? ''),
    { [`${C1_PATH}EndpointID`]: C1, [`${C2_PATH}EndpointID`]: C2 },
    "C1's map: its enabled patterns only",
  );
  const map2 = JSON.parse(byTo.get(C2)?.event?.params?.['ParameterMap'] ?? '') as Record<string, string>;
  t.equal(map2['Device.Time.LocalTimeZone'], 'UTC', "C2's map: every parameter below its object path");
  t.notOk(`${C1_PATH}EndpointID` in map2, "… and not C1's");
});

t.test('Periodic! per controller at PeriodicNotifInterval, phased to PeriodicNotifTime, only with an Event subscription (TP-469 1.59)', async (t) => {
  const { agent, rec, clock, advance } = await rig(t);
  const start = clock.now();
  await set(agent, ADMIN_REQUESTER, C1_PATH, { PeriodicNotifInterval: '60', PeriodicNotifTime: new Date(start + 15_000).toISOString() });
  await set(agent, ADMIN_REQUESTER, C2_PATH, { PeriodicNotifInterval: '30' });
  await subscribe(agent, AS_C1, { ID: 'tick', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.Periodic!' });
  await advance(14_999);
  t.equal(rec.of('event').length, 0, 'nothing before the phase');
  await advance(1);
  t.strictSame(
    rec.of('event').map((s) => [s.to, s.at - start, s.notify.subscriptionId, s.notify.event?.eventName]),
    [[C1, 15_000, 'tick', 'Periodic!']],
    'at PeriodicNotifTime',
  );
  await advance(60_000);
  t.strictSame(
    rec.of('event').map((s) => s.at - start),
    [15_000, 75_000],
    'then every 60 s',
  );
  t.equal(rec.of('event', C2).length, 0, 'C2 has an interval but no subscription: nothing');
});

t.test('live parameters are sampled at notify.liveSampleSeconds; the first reading is a baseline', async (t) => {
  let level = 1;
  const { agent, rec, advance } = await rig(t, {
    agent: {
      register: (dm) => {
        dm.object('Device.X_TEST_Notify.');
        dm.param('Device.X_TEST_Notify.Level', { type: 'unsignedInt', get: () => String(level) });
      },
    },
  });
  await subscribe(agent, AS_C2, { ID: 'level', NotifType: 'ValueChange', ReferenceList: 'Device.X_TEST_Notify.Level' });
  await advance(5000);
  t.equal(rec.of('valueChange').length, 0, 'the first sample sets the baseline');
  level = 2;
  await advance(4999);
  t.equal(rec.of('valueChange').length, 0, 'not sampled again before the interval');
  await advance(1);
  await rec.until(() => rec.of('valueChange').length === 1, 'the sampled change');
  t.strictSame(
    rec.of('valueChange').map((s) => [s.to, s.notify.valueChange?.paramPath, s.notify.valueChange?.paramValue]),
    [[C2, 'Device.X_TEST_Notify.Level', '2']],
    'only the watched parameter, to its subscriber',
  );
  await advance(5000);
  t.equal(rec.of('valueChange').length, 1, 'no change, no notification');
});

t.test('an event meant for one controller (BulkData Push!) reaches only that one, even if others subscribed (TR-181 Profile.{i}.Controller)', async (t) => {
  const { agent, rec, notifier } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'c1-push', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.TransferComplete!' });
  await subscribe(agent, AS_C2, { ID: 'c2-push', NotifType: 'Event', ReferenceList: 'Device.LocalAgent.TransferComplete!' });
  notifier.event('Device.LocalAgent.', 'TransferComplete!', { FaultCode: '1' }, C2_PATH);
  notifier.event('Device.LocalAgent.', 'TransferComplete!', { FaultCode: '2' }, C1_PATH.replace(/\.$/, ''));
  notifier.event('Device.LocalAgent.', 'TransferComplete!', { FaultCode: '3' });
  await rec.until(() => rec.of('event').length === 4, 'four events');
  t.strictSame(
    rec
      .of('event')
      .map((s) => [s.to, s.notify.event?.params?.['FaultCode']])
      .sort((a, b) => `${a[1]}${a[0]}`.localeCompare(`${b[1]}${b[0]}`)),
    [
      [C2, '1'],
      [C1, '2'],
      [C1, '3'],
      [C2, '3'],
    ],
    'with a recipient (with or without the trailing dot) only its subscriptions; without one, every subscriber',
  );
});

t.test('two controllers with the same kind of subscription each get only their own', async (t) => {
  const { agent, rec } = await rig(t);
  await subscribe(agent, AS_C1, { ID: 'a', NotifType: 'ObjectCreation', ReferenceList: SUBS });
  const second = await subscribe(agent, AS_C2, { ID: 'b', NotifType: 'ObjectCreation', ReferenceList: SUBS });
  const third = await subscribe(agent, AS_C2, { ID: 'c', NotifType: 'ValueChange' });
  await rec.until(() => rec.of('objCreation').length === 3, 'three ObjectCreations');
  t.strictSame(
    rec.of('objCreation').map((s) => [s.to, s.notify.subscriptionId, s.notify.objCreation?.objPath]),
    [
      [C1, 'a', second],
      [C1, 'a', third],
      [C2, 'b', third],
    ],
    'each to its own Recipient; a subscription does not report its own creation',
  );
});

t.test('OnBoardRequest: to enabled controllers whose onboarding is not complete, with the device identity (R-NOT.5/6/7)', async (t) => {
  const { agent, rec, notifier } = await rig(t, { controller: { OnBoardingComplete: 'false' } });
  await rec.until(() => rec.of('onBoardReq').length === 2, 'one per controller at start-up');
  const [ob] = rec.of('onBoardReq', C1);
  t.equal(ob?.notify.subscriptionId, '', 'subscription_id is empty (R-NOT.7)');
  t.equal(ob?.notify.sendResp, true, 'send_resp=true (R-NOT.6)');
  const info = agent.config.identity;
  t.strictSame(
    [
      ob?.notify.onBoardReq?.oui,
      ob?.notify.onBoardReq?.productClass,
      ob?.notify.onBoardReq?.serialNumber,
      ob?.notify.onBoardReq?.agentSupportedProtocolVersions,
    ],
    [info.manufacturerOUI, info.productClass, info.serialNumber, '1.0,1.1,1.2,1.3,1.4'],
  );
  notifier.onBoardRequest(C1_PATH);
  await settle();
  t.equal(rec.of('onBoardReq', C1).length, 1, 'SendOnBoardRequest() while one is outstanding does not start a second');
  await set(agent, ADMIN_REQUESTER, C2_PATH, { Enable: 'false' });
  await set(agent, ADMIN_REQUESTER, C2_PATH, { OnBoardingComplete: 'true' });
  await set(agent, ADMIN_REQUESTER, C2_PATH, { Enable: 'true' });
  await settle();
  t.equal(rec.of('onBoardReq', C2).length, 1, 'an enabled controller whose onboarding is complete gets none');
  await add(agent, ADMIN_REQUESTER, 'Device.LocalAgent.Controller.', { EndpointID: 'proto::new', Enable: 'true' });
  await rec.until(() => rec.of('onBoardReq', 'proto::new').length === 1, 'a new enabled controller with OnBoardingComplete=false gets one');
  t.pass('a new controller row is onboarded');
});
