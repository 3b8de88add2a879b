/**
 * R-SET.3: a Set response's updated_params leaves out parameters the controller may write but
 * not read (ControllerTrust Param `-w--`), so a write-only role cannot read values back through Set.
 */
import t from 'tap';
import { getParams, makeController, makeRole, trustRig } from './setup.js';

const DI = 'Device.DeviceInfo.';

t.test('R-SET.3: Set does not echo a value the controller may not read', async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'WriteOnly', [
    { targets: DI, param: 'r---', obj: 'r---' },
    { targets: `${DI}ProvisioningCode`, param: '-w--', order: 2 },
  ]);
  await makeController(rig, 'proto::wo', [role]);
  const r = await rig.as('proto::wo', { set: { allowPartial: false, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'hidden-code', required: true }] }] } });
  const inst = r.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0];
  t.strictSame(inst?.paramErrs, [], 'the write is allowed');
  t.strictSame({ ...inst?.updatedParams }, {}, 'but its value is not echoed');
  const got = getParams(await rig.admin({ get: { paramPaths: [`${DI}ProvisioningCode`] } }));
  t.equal(got[DI]?.ProvisioningCode, 'hidden-code', 'the value was written');
  const rw = await makeRole(rig, 'ReadWrite', [{ targets: DI, param: 'rw--', obj: 'r---' }]);
  await makeController(rig, 'proto::rw', [rw]);
  const r2 = await rig.as('proto::rw', { set: { allowPartial: false, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'seen', required: true }] }] } });
  t.strictSame({ ...r2.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams }, { ProvisioningCode: 'seen' }, 'a controller that may read it gets the echo');
});
