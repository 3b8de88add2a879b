/**
 * A subscription's search expression selects rows only by parameters its Recipient may read
 * (agent/notify/match.ts, USP-NOTES §11), so a ValueChange subscription cannot be used to test a
 * hidden value: `Controller.[ProvisioningCode=="guess"].EndpointID` notifies nothing for a role
 * that hides ProvisioningCode, whatever its value.
 */
import t from 'tap';
import { Matcher } from '../../../agent/notify/match.js';
import { readSubscriptions } from '../../../agent/notify/subscriptions.js';
import { makeController, makeRole, trustRig } from './setup.js';

const CTRL = 'Device.LocalAgent.Controller.';

t.test("a subscription's search cannot test values its Recipient may not read", async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'Watcher', [
    { targets: 'Device.LocalAgent.', param: 'rw-n', obj: 'rw-n', inst: 'rw-n', order: 1 },
    { targets: `${CTRL}*.ProvisioningCode`, param: '----', order: 2 },
  ]);
  const ctrl = await makeController(rig, 'proto::watch', [role]);
  await rig.set(ctrl, { ProvisioningCode: 'guess' });
  const add = (id: string, ref: string) =>
    rig.as('proto::watch', {
      add: {
        allowPartial: false,
        createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [{ param: 'ID', value: id }, { param: 'Enable', value: 'true' }, { param: 'NotifType', value: 'ValueChange' }, { param: 'ReferenceList', value: ref }] }],
      },
    });
  const first = await add('probe', `${CTRL}[ProvisioningCode=="guess"].EndpointID`);
  t.ok(first.body.response, 'the subscription is accepted (roles may change later)');
  t.ok((await add('fair', `${CTRL}[Enable==true].EndpointID`)).body.response);
  const subs = readSubscriptions(rig.agent.dm.tree);
  const probe = subs.find((s) => s.id === 'probe');
  const fair = subs.find((s) => s.id === 'fair');
  if (!probe || !fair) throw new Error('subscriptions missing');
  const access = rig.trust.rightsOf(ctrl).access;
  const m = new Matcher(rig.agent.dm, () => access);
  t.notOk(m.valueChange(probe, ctrl, 'EndpointID'), 'a search by a hidden value matches nothing, although the value is right');
  t.ok(m.valueChange(fair, ctrl, 'EndpointID'), 'a search by a readable value matches');
  t.ok(new Matcher(rig.agent.dm).valueChange(probe, ctrl, 'EndpointID'), 'with full rights the same search matches (the test can fail)');
});
