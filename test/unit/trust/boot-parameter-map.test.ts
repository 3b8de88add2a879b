/**
 * Boot! ParameterMap holds only what its recipient may read: parameters without Param r are left
 * out, a BootParameter search selects only by readable values, secured values are "" without a
 * SecuredRole (agent/notify/boot-event.ts, TR-181 Controller.{i}.BootParameter, USP-NOTES §11).
 */
import t from 'tap';
import { parameterMap } from '../../../agent/notify/boot-event.js';
import { makeController, makeRole, trustRig, TRUST } from './setup.js';

const DI = 'Device.DeviceInfo.';
const CTRL = 'Device.LocalAgent.Controller.';

t.test("Boot! ParameterMap follows the recipient's Param r and SecuredRoles", async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'BootView', [
    { targets: DI, param: 'r---', obj: 'r---', order: 1 },
    { targets: `${DI}SerialNumber`, param: '----', order: 2 },
    { targets: `${CTRL}*.EndpointID`, param: 'r---', order: 3 },
    { targets: `${TRUST}Challenge.`, param: 'r---', order: 4 },
  ]);
  const ctrl = await makeController(rig, 'proto::boot', [role]);
  await rig.set(ctrl, { ProvisioningCode: 'guess' });
  const challenge = await rig.add(`${TRUST}Challenge.`, { Alias: 'c', Value: Buffer.from('pw').toString('base64') });
  for (const name of [`${DI}SerialNumber`, `${DI}Manufacturer`, `${CTRL}[ProvisioningCode=="guess"].EndpointID`, `${challenge}Value`])
    await rig.add(`${ctrl}BootParameter.`, { Enable: 'true', ParameterName: name });
  const row = rig.agent.dm.tree.get(ctrl);
  if (!row) throw new Error('no row');
  const r = rig.trust.rightsOf(ctrl);
  const map = await parameterMap(rig.agent.dm, row, { access: r.access, readSecured: r.readSecured });
  t.notOk(`${DI}SerialNumber` in map, 'a parameter the role hides is left out');
  t.ok(`${DI}Manufacturer` in map, 'a readable one is there');
  t.notOk(`${ctrl}EndpointID` in map, 'a search by a hidden value selects nothing');
  t.equal(map[`${challenge}Value`], '', 'a secured value is "" without SecuredRoles');
  await rig.set(TRUST, { SecuredRoles: role });
  const r2 = rig.trust.rightsOf(ctrl);
  const map2 = await parameterMap(rig.agent.dm, row, { access: r2.access, readSecured: r2.readSecured });
  t.equal(map2[`${challenge}Value`], Buffer.from('pw').toString('base64'), 'and readable with one');
  const all = await parameterMap(rig.agent.dm, row);
  t.ok(`${DI}SerialNumber` in all && `${ctrl}EndpointID` in all, 'without ControllerTrust wiring everything is there');
});
