/**
 * Notifications end to end (agent/notify over a real MTP): the whole agent (createAgent) dials two
 * ws controllers with mutual TLS (the WebSocket client MTP, no broker needed). Each controller
 * subscribes over USP; a Set brings a ValueChange, Add/Delete bring ObjectCreation and
 * ObjectDeletion (child rows included), each controller hears only its own subscriptions, and a
 * NotifyResp settles a NotifRetry notification. Every wait is for a record, never for time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent, loadConfig } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { createLabPki } from '../../certs/pki.js';
import { buildRecord, buildResponse, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { usp } from '../../proto/index.js';
import { TestController } from '../helpers/controller.js';
import { startWsControllerServer } from '../helpers/controller-ws.js';
import type { ControllerTransport, WsControllerServer } from '../helpers/controller-ws.js';

t.setTimeout(120_000);

const AGENT = 'proto::notify-agent';
const C1 = 'proto::notify-c1';
const C2 = 'proto::notify-c2';
const SUBS = 'Device.LocalAgent.Subscription.';

type Notify = usp.Notify.$Shape;

/** The controller side: a TestController on the agent's session, answering OnBoardRequests. */
class Ctrl {
  constructor(
    readonly tc: TestController,
    readonly server: WsControllerServer,
    readonly eid: string,
  ) {}

  /** The next Notify, skipping connect records; OnBoardRequests are answered and skipped. */
  async nextNotify(): Promise<{ msgId: string; notify: Notify }> {
    for (;;) {
      const r = await this.tc.nextOther(15_000);
      const notify = r.msg?.body.request?.notify;
      if (!notify || !r.msg) continue;
      if (notify.notification === 'onBoardReq') {
        await this.respond(r.msg.header.msgId, '');
        continue;
      }
      return { msgId: r.msg.header.msgId, notify };
    }
  }

  /** Sends the NotifyResp for `msgId`. */
  respond(msgId: string, subscriptionId: string): Promise<void> {
    const payload = encodeMsg(buildResponse(msgId, { notifyResp: { subscriptionId } }));
    return this.server.send(encodeRecord(buildRecord({ toId: AGENT, fromId: this.eid, payload })));
  }

  async ok(req: Parameters<TestController['request']>[0]): Promise<usp.Response.$Shape> {
    const r = await this.tc.request(req);
    if (r.body.msgBody !== 'response' || !r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
    return r.body.response;
  }

  async subscribe(settings: Record<string, string>): Promise<string> {
    const r = await this.ok({
      add: { createObjs: [{ objPath: SUBS, paramSettings: Object.entries({ Enable: 'true', ...settings }).map(([param, value]) => ({ param, value })) }] },
    });
    return r.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  }

  set(objPath: string, settings: Record<string, string>): Promise<usp.Response.$Shape> {
    return this.ok({ set: { updateObjs: [{ objPath, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value })) }] } });
  }
}

/**
 * The controller server as the TestController's transport, read in short waits: the
 * TestController reads in 60 s waits, which would keep the test process alive for a minute
 * after it closed. Records arriving between waits stay queued in the session.
 */
function shortWaits(s: WsControllerServer): ControllerTransport {
  return { send: (b) => s.send(b), nextRecord: (ms = 5000) => s.nextRecord(Math.min(ms, 1000)), close: () => s.close() };
}

t.test('notifications reach the subscribing controller over the WebSocket MTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-notify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createLabPki({ dir: join(dir, 'pki'), agentEndpointId: AGENT, controllerEndpointIds: [C1, C2] });
  const pem = (eid: string): { cert: Buffer; key: Buffer; ca: Buffer } => {
    const f = pki.controllers[eid];
    if (!f) throw new Error(`no certificate for ${eid}`);
    return { cert: readFileSync(f.cert), key: readFileSync(f.key), ca: readFileSync(pki.ca.cert) };
  };
  const servers = new Map<string, WsControllerServer>();
  for (const eid of [C1, C2]) {
    const s = await startWsControllerServer({ controllerEndpointId: eid, tls: pem(eid) });
    t.teardown(() => s.close());
    servers.set(eid, s);
  }
  const config = loadConfig(undefined, {
    dataDir: join(dir, 'data'),
    sets: [
      `endpointId=${AGENT}`,
      `tls=${JSON.stringify({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert })}`,
      'mtps=[]',
      `controllers=${JSON.stringify([C1, C2].map((eid) => ({ endpointId: eid, mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: servers.get(eid)?.port, path: '/usp', retryMinWait: 1 }] })))}`,
    ],
  });
  const agent = await createAgent(config, { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());

  const ctrls: Ctrl[] = [];
  for (const eid of [C1, C2]) {
    const server = servers.get(eid) as WsControllerServer;
    await server.nextSession(15_000);
    const tc = new TestController(shortWaits(server), eid, AGENT);
    t.teardown(() => tc.close());
    await tc.nextOfType('websocketConnect', 15_000);
    ctrls.push(new Ctrl(tc, server, eid));
  }
  const [c1, c2] = ctrls as [Ctrl, Ctrl];

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
