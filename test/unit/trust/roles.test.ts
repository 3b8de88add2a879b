/**
 * ControllerTrust roles on every message (TP-469 section 2 style, USP-NOTES §11): read-only
 * roles, hidden parameters, Order within a role, union across roles, Add/Delete/Operate 7006,
 * GetSupportedDM as the controller sees it, and the built-in roles' protection.
 */
import t from 'tap';
import { ObjAccessType, ParamAccessType } from '../../../proto/index.js';
import { FULL, ROLE, getParams, makeController, makeRole, trustRig } from './setup.js';

const DI = 'Device.DeviceInfo.';
const CTRL = 'Device.LocalAgent.Controller.';

t.test('TP-469 2.x: a read-only role reads but cannot Set (7006 per parameter)', async (t) => {
  const rig = await trustRig(t);
  const ro = await makeRole(rig, 'ReadOnly', [{ targets: 'Device.', param: 'r---', obj: 'r---', inst: 'r---', cmd: 'r---' }]);
  await makeController(rig, 'proto::ro', [ro]);
  const got = getParams(await rig.as('proto::ro', { get: { paramPaths: [`${DI}ProvisioningCode`] } }));
  t.ok(DI in got, 'Get works');
  const partial = await rig.as('proto::ro', { set: { allowPartial: true, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'x' }] }] } });
  const inst = partial.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0];
  t.equal(inst?.paramErrs?.[0]?.errCode, 7006, 'non-required param: 7006 in its ParameterError');
  const strict = await rig.as('proto::ro', { set: { allowPartial: false, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'x', required: true }] }] } });
  t.equal(strict.body.msgBody, 'error', 'without allow_partial: an Error message');
  t.equal(strict.body.error?.paramErrs?.[0]?.errCode, 7006, 'its param_errs say 7006');
  t.equal(strict.body.error?.paramErrs?.[0]?.paramPath, `${DI}ProvisioningCode`);
  const after = getParams(await rig.admin({ get: { paramPaths: [`${DI}ProvisioningCode`] } }));
  t.equal(after[DI]?.ProvisioningCode, '', 'nothing was written');
  t.equal((await rig.admin({ set: { allowPartial: false, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'adm', required: true }] }] } })).body.msgBody, 'response', 'the admin CLI keeps full rights');
});

t.test('Get and GetInstances silently leave out what the role hides', async (t) => {
  const rig = await trustRig(t);
  // Everything readable except the SerialNumber and Controller 1 (its row and its params).
  const role = await makeRole(rig, 'Partial', [
    { targets: 'Device.', param: 'r---', obj: 'r---', inst: 'r---', order: 1 },
    { targets: `${DI}SerialNumber`, param: '----', order: 2 },
    { targets: `${CTRL}1.`, param: '----', obj: '----', inst: '----', order: 3 },
  ]);
  const c1 = await makeController(rig, 'proto::hidden', []);
  await makeController(rig, 'proto::viewer', [role]);
  const got = getParams(await rig.as('proto::viewer', { get: { paramPaths: [DI, `${DI}SerialNumber`, `${CTRL}*.EndpointID`] } }));
  t.notOk('SerialNumber' in (got[DI] ?? {}), 'object Get leaves the hidden parameter out');
  t.ok('Manufacturer' in (got[DI] ?? {}), 'and keeps the others');
  const reply = await rig.as('proto::viewer', { get: { paramPaths: [`${DI}SerialNumber`] } });
  t.strictSame(reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults, [], 'a hidden parameter path resolves to nothing, without an error');
  t.equal(reply.body.response?.getResp?.reqPathResults?.[0]?.errCode, 0);
  t.notOk(c1 in got, `${c1} is not in a wildcard Get`);
  t.equal(got[`${CTRL}2.`]?.EndpointID, 'proto::viewer');
  const gi = await rig.as('proto::viewer', { getInstances: { objPaths: [CTRL], firstLevelOnly: true } });
  const rows = gi.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts?.map((c) => c.instantiatedObjPath);
  t.strictSame(rows, [`${CTRL}2.`], 'GetInstances leaves the hidden row out');
});

t.test('Within a role the highest Order wins; across roles permissions are a union', async (t) => {
  const rig = await trustRig(t);
  const lowWins = await makeRole(rig, 'Ordered', [
    { targets: DI, param: 'rw--', order: 5 },
    { targets: `${DI}ProvisioningCode`, param: 'r---', order: 10 },
  ]);
  await makeController(rig, 'proto::ordered', [lowWins]);
  const set = (eid: string) => rig.as(eid, { set: { allowPartial: true, updateObjs: [{ objPath: DI, paramSettings: [{ param: 'ProvisioningCode', value: 'v' }] }] } });
  const denied = (await set('proto::ordered')).body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs?.[0]?.errCode;
  t.equal(denied, 7006, 'Order 10 (read-only) beats Order 5 (read-write) on the overlapping parameter');
  // The same two permissions with the orders swapped: the broad rw-- wins.
  const swapped = await makeRole(rig, 'Swapped', [
    { targets: DI, param: 'rw--', order: 10 },
    { targets: `${DI}ProvisioningCode`, param: 'r---', order: 5 },
  ]);
  await makeController(rig, 'proto::swapped', [swapped]);
  t.strictSame((await set('proto::swapped')).body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs, [], 'the higher Order rw-- allows the write');
  // Union: a role that only reads plus one that only writes the parameter.
  const reader = await makeRole(rig, 'Reader', [{ targets: DI, param: 'r---' }]);
  const writer = await makeRole(rig, 'Writer', [{ targets: `${DI}ProvisioningCode`, param: '-w--' }]);
  await makeController(rig, 'proto::both', [reader, writer]);
  await makeController(rig, 'proto::reader', [reader]);
  t.strictSame((await set('proto::both')).body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs, [], 'reader ∪ writer may write');
  t.equal((await set('proto::reader')).body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs?.[0]?.errCode, 7006, 'reader alone may not');
});

t.test('Add, Delete and Operate need Obj w, InstantiatedObj w and CommandEvent x (7006)', async (t) => {
  const rig = await trustRig(t);
  const ro = await makeRole(rig, 'NoWrite', [{ targets: 'Device.', param: 'rw--', obj: 'r---', inst: 'r---', cmd: 'r---' }]);
  await makeController(rig, 'proto::nw', [ro]);
  const add = await rig.as('proto::nw', { add: { allowPartial: true, createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [] }] } });
  t.equal(add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operFailure?.errCode, 7006, 'Add: 7006 for that path');
  const del = await rig.as('proto::nw', { delete: { allowPartial: true, objPaths: [`${CTRL}1.`] } });
  t.equal(del.body.response?.deleteResp?.deletedObjResults?.[0]?.operStatus?.operSuccess?.unaffectedPathErrs?.[0]?.errCode, 7006, 'Delete: 7006 for that instance');
  const delStrict = await rig.as('proto::nw', { delete: { allowPartial: false, objPaths: [`${CTRL}1.`] } });
  t.equal(delStrict.body.error?.errCode, 7006, 'Delete without allow_partial: Error 7006');
  const op = await rig.as('proto::nw', { operate: { command: `${CTRL}1.SendOnBoardRequest()`, commandKey: 'k', sendResp: true } });
  t.equal(op.body.response?.operateResp?.operationResults?.[0]?.cmdFailure?.errCode, 7006, 'Operate: cmd_failure 7006');
  t.equal((await rig.admin({ get: { paramPaths: [`${CTRL}1.`] } })).body.response?.getResp?.reqPathResults?.[0]?.errCode, 0, 'the row is still there');
});

t.test('GetSupportedDM reports access as the controller sees it', async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'Gsdm', [
    { targets: 'Device.LocalAgent.', param: 'r---', obj: 'r---', inst: '-w--', cmd: '----', order: 1 },
    { targets: `${CTRL}*.EndpointID`, param: '----', order: 2 },
  ]);
  await makeController(rig, 'proto::gsdm', [role]);
  const r = await rig.as('proto::gsdm', { getSupportedDm: { objPaths: ['Device.LocalAgent.', 'Device.DeviceInfo.'], returnParams: true, returnCommands: true } });
  const objs = r.body.response?.getSupportedDmResp?.reqObjResults?.[0]?.supportedObjs ?? [];
  const ctrl = objs.find((o) => o.supportedObjPath === `${CTRL}{i}.`);
  t.equal(ctrl?.access ?? 0, ObjAccessType.OBJ_DELETE_ONLY, 'the Controller table: delete only (InstantiatedObj w, no Obj w)');
  t.notOk(ctrl?.supportedParams?.some((p) => p.paramName === 'EndpointID'), 'a hidden parameter is not listed');
  t.equal(ctrl?.supportedParams?.find((p) => p.paramName === 'Alias')?.access ?? 0, ParamAccessType.PARAM_READ_ONLY, 'writable in the schema, read-only for this role');
  t.strictSame(ctrl?.supportedCommands, [], 'no CommandEvent r: no commands');
  t.strictSame(r.body.response?.getSupportedDmResp?.reqObjResults?.[1]?.supportedObjs, [], 'DeviceInfo (no Obj r) is not described');
});

t.test('The built-in roles are read-only; UntrustedRole is set; writes are checked', async (t) => {
  const rig = await trustRig(t);
  const names = getParams(await rig.admin({ get: { paramPaths: [`${ROLE}*.Name`] } }));
  t.equal(names[`${ROLE}1.`]?.Name, 'Full Access');
  t.equal(names[`${ROLE}2.`]?.Name, 'Untrusted');
  const untrusted = getParams(await rig.admin({ get: { paramPaths: ['Device.LocalAgent.ControllerTrust.UntrustedRole'] } }));
  t.equal(untrusted['Device.LocalAgent.ControllerTrust.']?.UntrustedRole, `${ROLE}2`);
  const set = await rig.admin({ set: { allowPartial: true, updateObjs: [{ objPath: `${FULL}.Permission.1.`, paramSettings: [{ param: 'Param', value: '----' }] }] } });
  t.equal(set.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.paramErrs?.[0]?.errCode, 7013, 'a built-in permission cannot be changed');
  const del = await rig.admin({ delete: { allowPartial: false, objPaths: [`${FULL}.`] } });
  t.ok(del.body.error, 'nor deleted');
  const role = await makeRole(rig, 'Mine', []);
  const bad = await rig.admin({ add: { allowPartial: true, createObjs: [{ objPath: `${role}.Permission.`, paramSettings: [{ param: 'Param', value: 'rwzn' }, { param: 'Targets', value: 'Device.LocalAgent.Controller.1.EndpointID+.Foo' }] }] } });
  const errs = bad.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.paramErrs?.map((e) => e.errCode);
  t.strictSame(errs, [7012, 7012], 'a bad permission string and a reference-following target are refused');
});

t.test('TP-469 2.27: only a controller holding one of the SecuredRoles reads secured values', async (t) => {
  const rig = await trustRig(t);
  const secret = Buffer.from('hunter2').toString('base64');
  const ch = await rig.add('Device.LocalAgent.ControllerTrust.Challenge.', { Alias: 'c', Value: secret });
  await makeController(rig, 'proto::full', [FULL]);
  const read = async (): Promise<string | undefined> => getParams(await rig.as('proto::full', { get: { paramPaths: [`${ch}Value`] } }))[ch]?.Value;
  t.equal(await read(), '', 'Full Access alone reads ""');
  await rig.set('Device.LocalAgent.ControllerTrust.', { SecuredRoles: FULL });
  t.equal(await read(), secret, 'with Full Access in SecuredRoles the value reads back');
  t.equal(getParams(await rig.admin({ get: { paramPaths: [`${ch}Value`] } }))[ch]?.Value, secret, 'the admin CLI always reads it');
});

t.test('BannedRole: a controller holding it is refused', async (t) => {
  const rig = await trustRig(t);
  const banned = await makeRole(rig, 'Banned', []);
  await makeController(rig, 'proto::bad', [banned]);
  t.ok(rig.requester('proto::bad'), 'served before the ban');
  await rig.set('Device.LocalAgent.ControllerTrust.', { BannedRole: banned });
  t.equal(rig.requester('proto::bad'), undefined, 'refused once its role is the BannedRole');
});

t.test('A search expression cannot test a parameter the role hides', async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'NoCodes', [
    { targets: 'Device.', param: 'r---', obj: 'r---', inst: 'r---', order: 1 },
    { targets: `${CTRL}*.ProvisioningCode`, param: '----', order: 2 },
  ]);
  await makeController(rig, 'proto::searcher', [role]);
  await rig.set(`${CTRL}1.`, { ProvisioningCode: 'secret' });
  const q = (path: string) => rig.as('proto::searcher', { get: { paramPaths: [path] } });
  const hidden = await q(`${CTRL}[ProvisioningCode=="secret"].EndpointID`);
  t.strictSame(hidden.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults, [], 'a search on the hidden parameter matches nothing, even with the right value');
  const admin = getParams(await rig.admin({ get: { paramPaths: [`${CTRL}[ProvisioningCode=="secret"].EndpointID`] } }));
  t.equal(admin[`${CTRL}1.`]?.EndpointID, 'proto::searcher', 'while the admin finds the row');
  const open = getParams(await q(`${CTRL}[EndpointID=="proto::searcher"].Enable`));
  t.equal(open[`${CTRL}1.`]?.Enable, 'true', 'a search on a readable parameter still works');
  const set = await rig.as('proto::searcher', { set: { allowPartial: true, updateObjs: [{ objPath: `${CTRL}[ProvisioningCode=="secret"].`, paramSettings: [{ param: 'ControllerCode', value: 'x' }] }] } });
  t.strictSame(set.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults, [], 'nor can a Set use it');
});
