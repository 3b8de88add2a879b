/**
 * ControllerTrust end to end over a real MTP (TP-469 section 2 style): the whole agent
 * (createAgent) dials two ws controllers with mutual TLS. Both are in the agent's config, so both
 * start with Full Access; C1 then makes a read-only "Viewer" role that hides ProvisioningCode and
 * assigns it to C2. Over the wire C2 cannot Set (7006), does not see the hidden parameter in Get
 * or GetInstances, and its ValueChange subscription no longer reports the hidden parameter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { acceptAgent, controllerServer, inProcessConfig, labPki } from '../helpers/ws-notify.js';

t.setTimeout(120_000);

const AGENT = 'proto::trust-agent';
const C1 = 'proto::trust-admin';
const C2 = 'proto::trust-viewer';
const CTRL = 'Device.LocalAgent.Controller.';
const ROLE = 'Device.LocalAgent.ControllerTrust.Role.';

t.test('a controller given a read-only role is held to it over the WebSocket MTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-trust-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [C1, C2]);
  const servers = [await controllerServer(t, C1, pem(C1)), await controllerServer(t, C2, pem(C2))];
  const agent = await createAgent(inProcessConfig(dir, AGENT, pki, servers), { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());
  const c1 = await acceptAgent(t, servers[0] as (typeof servers)[0], C1, AGENT);
  const c2 = await acceptAgent(t, servers[1] as (typeof servers)[1], C2, AGENT);

  const roles = await c2.ok({ get: { paramPaths: [`${CTRL}*.AssignedRole`] } });
  t.strictSame(
    roles.getResp?.reqPathResults?.[0]?.resolvedPathResults?.map((r) => r.resultParams?.['AssignedRole']),
    [`${ROLE}1`, `${ROLE}1`],
    'controllers from the config file start with Full Access',
  );
  // While it may, C2 subscribes to every parameter change of the Controller rows.
  await c2.add('Device.LocalAgent.Subscription.', { Enable: 'true', ID: 'ctrl', NotifType: 'ValueChange', ReferenceList: CTRL });

  const viewer = await c1.add(ROLE, { Name: 'Viewer', Enable: 'true' });
  await c1.add(`${viewer}Permission.`, {
    Enable: 'true',
    Order: '1',
    Targets: 'Device.',
    Param: 'r---',
    Obj: 'r---',
    InstantiatedObj: 'r---',
    CommandEvent: '----',
  });
  await c1.add(`${viewer}Permission.`, {
    Enable: 'true',
    Order: '2',
    Targets: CTRL,
    Param: 'r--n',
    Obj: 'r---',
    InstantiatedObj: 'r---',
    CommandEvent: '----',
  });
  await c1.add(`${viewer}Permission.`, {
    Enable: 'true',
    Order: '3',
    Targets: `${CTRL}*.ProvisioningCode`,
    Param: '----',
    Obj: '----',
    InstantiatedObj: '----',
    CommandEvent: '----',
  });
  await c1.ok({ set: { updateObjs: [{ objPath: `${CTRL}2.`, paramSettings: [{ param: 'AssignedRole', value: viewer.slice(0, -1), required: true }] }] } });
  // The change of its own AssignedRole is visible to the Viewer role (Param n on the Controller table).
  const { notify: own } = await c2.nextNotify();
  t.strictSame([own.valueChange?.paramPath, own.valueChange?.paramValue], [`${CTRL}2.AssignedRole`, viewer.slice(0, -1)], 'C2 hears of its new role');

  await t.test('Set is refused with 7006', async (t) => {
    const r = await c2.tc.request({
      set: {
        allowPartial: false,
        updateObjs: [{ objPath: 'Device.Time.', paramSettings: [{ param: 'LocalTimeZone', value: 'Europe/Paris', required: true }] }],
      },
    });
    t.equal(r.body.error?.paramErrs?.[0]?.errCode, 7006, 'the Error names the parameter with 7006');
    const a = await c2.tc.request({ add: { allowPartial: true, createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [] }] } });
    t.equal(a.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operFailure?.errCode, 7006, 'so is an Add');
  });

  await t.test('Get and GetInstances leave the hidden parameter out', async (t) => {
    const g = await c2.ok({ get: { paramPaths: [`${CTRL}1.`] } });
    const params = g.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams ?? {};
    t.equal(params['EndpointID'], C1, 'visible parameters are there');
    t.notOk('ProvisioningCode' in params, 'ProvisioningCode is not');
    const gi = await c2.ok({ getInstances: { objPaths: [CTRL], firstLevelOnly: true } });
    t.strictSame(
      gi.getInstancesResp?.reqPathResults?.[0]?.currInsts?.map((c) => c.instantiatedObjPath),
      [`${CTRL}1.`, `${CTRL}2.`],
    );
  });

  await t.test('ValueChange of the hidden parameter never reaches C2; the visible one does', async (t) => {
    await c1.ok({ set: { updateObjs: [{ objPath: `${CTRL}1.`, paramSettings: [{ param: 'ProvisioningCode', value: 'secret-code' }] }] } });
    await c1.ok({ set: { updateObjs: [{ objPath: `${CTRL}1.`, paramSettings: [{ param: 'ControllerCode', value: 'visible-code' }] }] } });
    const { notify: n } = await c2.nextNotify();
    t.strictSame(
      [n.subscriptionId, n.valueChange?.paramPath, n.valueChange?.paramValue],
      ['ctrl', `${CTRL}1.ControllerCode`, 'visible-code'],
      'the first notification C2 gets is the visible change',
    );
  });
});
