/**
 * TR-181 BulkData.Profile.{i}.Controller is `{{reference|the Controller instance that created
 * Profile|delete}}`: deleting that Controller row deletes the profile, so it never goes on
 * collecting with the full rights of a profile that has no Controller.
 */
import t from 'tap';
import { getParams, makeController, makeRole, trustRig } from './setup.js';

t.test("deleting a profile's Controller deletes the profile; a profile without one stays", async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'Bulk', [{ targets: 'Device.BulkData.', param: 'rw--', obj: 'rw--', inst: 'rw--' }]);
  const ctrl = await makeController(rig, 'proto::bulk', [role]);
  const add = await rig.as('proto::bulk', { add: { allowPartial: false, createObjs: [{ objPath: 'Device.BulkData.Profile.', paramSettings: [{ param: 'Alias', value: 'mine', required: true }] }] } });
  const mine = add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  t.ok(mine, 'the controller made a profile');
  const admins = await rig.add('Device.BulkData.Profile.', { Alias: 'factory' });
  const before = getParams(await rig.admin({ get: { paramPaths: [`${mine}Controller`, `${admins}Controller`] } }));
  t.equal(before[mine]?.Controller, ctrl.slice(0, -1), 'Controller names its creator');
  t.equal(before[admins]?.Controller, '', 'an admin profile has none');
  const del = await rig.admin({ delete: { allowPartial: false, objPaths: [ctrl] } });
  t.ok(del.body.response?.deleteResp, 'the controller is deleted');
  const after = getParams(await rig.admin({ get: { paramPaths: ['Device.BulkData.Profile.'] } }));
  t.notOk(after[mine], 'its profile went with it');
  t.equal(after[admins]?.Alias, 'factory', 'the profile without a Controller stays');
});
