/**
 * R-SEC.1: authorization is checked before every action against committed state. A message that
 * was admitted (its Requester built) before another message took its role away, disabled or
 * deleted its controller runs with the rights the controller has when it is handled.
 */
import t from 'tap';
import { getParams, makeController, makeRole, trustRig } from './setup.js';

const DI = 'Device.DeviceInfo.';

t.test('R-SEC.1: a queued message runs with the rights at dispatch, not at arrival', async (t) => {
  const rig = await trustRig(t);
  const reader = await makeRole(rig, 'Reader', [{ targets: DI, param: 'r---', obj: 'r---' }]);
  const nothing = await makeRole(rig, 'Nothing', [{ targets: 'Device.LocalAgent.EndpointID', param: 'r---' }]);
  const ctrl = await makeController(rig, 'proto::late', [reader]);
  const get = { get: { paramPaths: [`${DI}SerialNumber`] } };
  const before = rig.requester('proto::late');
  if (!before) throw new Error('refused');
  t.ok(getParams(await rig.agent.request(get, before))[DI]?.SerialNumber !== undefined, 'readable while it has the role');

  const queued = rig.requester('proto::late'); // admitted, waiting behind the revoking message
  if (!queued) throw new Error('refused');
  await rig.set(ctrl, { AssignedRole: nothing });
  t.strictSame(getParams(await rig.agent.request(get, queued)), {}, 'after the role is taken away the queued message reads nothing');

  await rig.set(ctrl, { AssignedRole: reader });
  t.ok(getParams(await rig.agent.request(get, queued))[DI]?.SerialNumber !== undefined, 'a role given back applies again');
  await rig.set(ctrl, { Enable: 'false' });
  t.strictSame(getParams(await rig.agent.request(get, queued)), {}, 'a disabled controller has no rights');
  await rig.set(ctrl, { Enable: 'true' });
  await rig.admin({ delete: { allowPartial: false, objPaths: [ctrl] } });
  t.strictSame(getParams(await rig.agent.request(get, queued)), {}, 'nor has a deleted one');
});
