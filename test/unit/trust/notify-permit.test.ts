/**
 * Notifications as the recipient's roles allow them (the `n` bit, agent/notify/permit.ts), with
 * rights compiled by the real ControllerTrust from real Role rows: ValueChange, ObjectCreation
 * (unique keys it may not read left out), ObjectDeletion, Event and OperationComplete.
 */
import t from 'tap';
import { forRecipient } from '../../../agent/notify/permit.js';
import { makeController, makeRole, trustRig } from './setup.js';

const CTRL = 'Device.LocalAgent.Controller.';

t.test('each notification type needs its n bit; hidden unique keys are left out', async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'Notified', [
    { targets: CTRL, param: 'r--n', obj: 'r--n', inst: 'r---', order: 1 },
    { targets: `${CTRL}*.Alias`, param: '----', order: 2 },
    { targets: 'Device.Boot!', cmd: 'r--n', order: 3 },
  ]);
  const path = await makeController(rig, 'proto::n', [role]);
  const rights = rig.trust.rightsOf(path);
  const vc = (p: string) => forRecipient({ valueChange: { paramPath: p, paramValue: 'v' } }, rights);
  t.ok(vc(`${CTRL}1.ProvisioningCode`), 'ValueChange with Param n');
  t.notOk(vc(`${CTRL}1.Alias`), 'not for a parameter whose higher-Order permission drops n');
  t.notOk(vc('Device.Time.LocalTimeZone'), 'not outside the targets');
  const created = forRecipient({ objCreation: { objPath: `${CTRL}5.`, uniqueKeys: { EndpointID: 'proto::x', Alias: 'cpe-5' } } }, rights);
  t.strictSame(created?.objCreation?.uniqueKeys, { EndpointID: 'proto::x' }, 'ObjectCreation with Obj n on the table, without the unreadable Alias key');
  t.notOk(forRecipient({ objCreation: { objPath: 'Device.LocalAgent.Subscription.1.', uniqueKeys: {} } }, rights), 'no Obj n: no ObjectCreation');
  t.notOk(forRecipient({ objDeletion: { objPath: `${CTRL}5.` } }, rights), 'InstantiatedObj without n: no ObjectDeletion');
  t.ok(forRecipient({ event: { objPath: 'Device.', eventName: 'Boot!', params: {} } }, rights), 'Event with CommandEvent n');
  t.notOk(forRecipient({ operComplete: { objPath: 'Device.', commandName: 'Reboot()', commandKey: 'k' } }, rights), 'OperationComplete without it');
  t.ok(forRecipient({ objDeletion: { objPath: `${CTRL}5.` } }, undefined), 'without ControllerTrust wiring everything passes (in-process notifier tests)');
  t.notOk(forRecipient({ event: { objPath: 'Device.', eventName: 'Boot!', params: {} } }, { ...rights, banned: true }), 'a banned recipient gets nothing');
});
