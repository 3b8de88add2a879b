/**
 * Notifications end to end (agent/notify over a real MTP): the whole agent (createAgent) dials two
 * ws controllers with mutual TLS (the WebSocket client MTP, no broker needed). Each controller
 * subscribes over USP; a Set brings a ValueChange, Add/Delete bring ObjectCreation and
 * ObjectDeletion (child rows included), each controller hears only its own subscriptions, and a
 * NotifyResp settles a NotifRetry notification. Every wait is for a record, never for time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { acceptAgent, controllerServer, inProcessConfig, labPki } from '../helpers/ws-notify.js';

t.setTimeout(120_000);

const AGENT = 'proto::notify-agent';
const C1 = 'proto::notify-c1';
const C2 = 'proto::notify-c2';

t.test('notifications reach the subscribing controller over the WebSocket MTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [C1, C2]);
  const servers = [await controllerServer(t, C1, pem(C1)), await controllerServer(t, C2, pem(C2))];
  const agent = await createAgent(inProcessConfig(dir, AGENT, pki, servers), { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());
  const c1 = await acceptAgent(t, servers[0] as (typeof servers)[0], C1, AGENT);
  const c2 = await acceptAgent(t, servers[1] as (typeof servers)[1], C2, AGENT);

  // Onboarding is incomplete for configured controllers: each gets an OnBoardRequest first (R-NOT.5/6).
  const ob = await c1.tc.nextOther(15_000);
  t.equal(ob.msg?.body.request?.notify?.notification, 'onBoardReq', 'an OnBoardRequest comes after the connect record');
  t.equal(ob.msg?.body.request?.notify?.sendResp, true, 'with send_resp=true');
  await c1.respond(ob.msg?.header.msgId ?? '', '');
  await c1.set('Device.LocalAgent.Controller.1.', { OnBoardingComplete: 'true' });

  const vc = await c1.subscribe({ ID: 'pc', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.Controller.*.ProvisioningCode' });
  const rcp = await c1.ok({ get: { paramPaths: [`${vc}Recipient`] } });
  t.equal(
    rcp.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.['Recipient'],
    'Device.LocalAgent.Controller.1',
    'Recipient is the creating controller',
  );
  await c1.subscribe({ ID: 'new', NotifType: 'ObjectCreation', ReferenceList: 'Device.LocalAgent.Controller.' });
  await c1.subscribe({ ID: 'gone', NotifType: 'ObjectDeletion', ReferenceList: 'Device.LocalAgent.Controller.*.,Device.LocalAgent.Controller.*.MTP.*.' });
  await c2.subscribe({ ID: 'tz', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone' });

  await t.test('Set → ValueChange to the subscriber', async (t) => {
    await c2.set('Device.LocalAgent.Controller.2.', { ProvisioningCode: 'abc' });
    const n = await c1.nextNotify();
    t.equal(n.notify.subscriptionId, 'pc');
    t.equal(n.notify.sendResp, false, 'NotifRetry=false: send_resp=false');
    t.strictSame([n.notify.valueChange?.paramPath, n.notify.valueChange?.paramValue], ['Device.LocalAgent.Controller.2.ProvisioningCode', 'abc']);
    await c1.set('Device.Time.', { LocalTimeZone: 'Europe/Paris' });
    const tz = await c2.nextNotify();
    t.strictSame(
      [tz.notify.subscriptionId, tz.notify.valueChange?.paramValue],
      ['tz', 'Europe/Paris'],
      "C2 hears of the change C1 made, through C2's subscription",
    );
  });

  await t.test('Add / Delete → ObjectCreation / ObjectDeletion, child rows included; C1 hears only its own', async (t) => {
    const added = await c2.ok({
      add: { createObjs: [{ objPath: 'Device.LocalAgent.Controller.', paramSettings: [{ param: 'EndpointID', value: 'proto::third' }] }] },
    });
    const ctrl = added.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
    const n = await c1.nextNotify();
    t.equal(n.notify.notification, 'objCreation', "the next notification C1 gets is its ObjectCreation (C2's LocalTimeZone ValueChange never came to C1)");
    t.strictSame([n.notify.subscriptionId, n.notify.objCreation?.objPath, n.notify.objCreation?.uniqueKeys?.['EndpointID']], ['new', ctrl, 'proto::third']);
    await c2.ok({ add: { createObjs: [{ objPath: `${ctrl}MTP.`, paramSettings: [{ param: 'Protocol', value: 'MQTT' }] }] } });
    await c2.ok({ delete: { objPaths: [ctrl] } });
    const d1 = await c1.nextNotify();
    const d2 = await c1.nextNotify();
    t.strictSame(
      [d1, d2].map((d) => [d.notify.subscriptionId, d.notify.objDeletion?.objPath]),
      [
        ['gone', `${ctrl}MTP.1.`],
        ['gone', ctrl],
      ],
      'the child row, then the row',
    );
  });

  await t.test('NotifRetry=true: send_resp=true, and the NotifyResp settles it', async (t) => {
    await c2.subscribe({ ID: 'sure', NotifType: 'ValueChange', ReferenceList: 'Device.Time.LocalTimeZone', NotifRetry: 'true', NotifExpiration: '600' });
    await c1.set('Device.Time.', { LocalTimeZone: 'UTC' });
    const first = await c2.nextNotify();
    const second = await c2.nextNotify();
    const sure = [first, second].find((n) => n.notify.subscriptionId === 'sure');
    t.ok(sure, 'the reliable subscription fired');
    t.equal(sure?.notify.sendResp, true, 'send_resp=true');
    t.strictSame(
      agent.dm.store.loadNotifications().map((p) => p.msgId),
      [sure?.msgId],
      'kept in the database until answered',
    );
    await c2.respond(sure?.msgId ?? '', 'sure');
    // The NotifyResp is handled when it arrives; a request sent after it is answered after it.
    await c2.ok({ get: { paramPaths: ['Device.LocalAgent.EndpointID'] } });
    t.strictSame(agent.dm.store.loadNotifications(), [], 'the NotifyResp removed it: no more retries');
  });
});
