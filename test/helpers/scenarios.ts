/**
 * The shared scenario list every MTP runs (issue: Get, Set, Add, Delete, GSDM, error, Operate): the
 * same USP conversation over MQTT, STOMP and WebSocket, through a TestController.
 */
import type { Test } from 'tap';
import type { TestController } from './controller.js';

export async function runScenarios(t: Test, ctrl: TestController, label: string): Promise<void> {
  const get = await ctrl.request({ get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion', 'Device.LocalAgent.EndpointID'] } });
  const results = get.body.response?.getResp?.reqPathResults ?? [];
  t.equal(results[0]?.resolvedPathResults?.[0]?.resultParams?.['SoftwareVersion'] !== undefined, true, `${label}: Get answered`);
  t.equal(results[1]?.resolvedPathResults?.[0]?.resultParams?.['EndpointID'], ctrl.agentEndpointId, `${label}: Get returns the agent's Endpoint ID`);

  const add = await ctrl.request({
    add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [{ param: 'ID', value: `${label}-sub`, required: true }, { param: 'NotifType', value: 'ValueChange', required: true }] }] },
  });
  const created = add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess;
  t.match(created?.instantiatedPath, /^Device\.LocalAgent\.Subscription\.\d+\.$/, `${label}: Add created a row`);
  const row = created?.instantiatedPath ?? '';

  const set = await ctrl.request({ set: { allowPartial: false, updateObjs: [{ objPath: row, paramSettings: [{ param: 'Enable', value: 'true', required: true }] }] } });
  t.strictSame(set.body.response?.setResp?.updatedObjResults?.[0]?.operStatus?.operSuccess?.updatedInstResults?.[0]?.updatedParams, { Enable: 'true' }, `${label}: Set applied`);

  const inst = await ctrl.request({ getInstances: { objPaths: ['Device.LocalAgent.Subscription.'], firstLevelOnly: true } });
  t.ok((inst.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts ?? []).some((i) => i.instantiatedObjPath === row), `${label}: GetInstances lists the row`);

  const gsdm = await ctrl.request({ getSupportedDm: { objPaths: ['Device.LocalAgent.Subscription.{i}.'], returnParams: true, returnUniqueKeySets: true } });
  const obj = gsdm.body.response?.getSupportedDmResp?.reqObjResults?.[0]?.supportedObjs?.[0];
  t.equal(obj?.supportedObjPath, 'Device.LocalAgent.Subscription.{i}.', `${label}: GetSupportedDM answered`);

  const bad = await ctrl.request({ set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'Manufacturer', value: 'x', required: true }] }] } });
  t.equal(bad.body.error?.errCode, 7021, `${label}: Set of a read-only parameter is an Error`);
  t.equal(bad.body.error?.paramErrs?.[0]?.errCode, 7013, `${label}: ... naming 7013 for the parameter`);

  const invalid = await ctrl.request({ get: { paramPaths: ['Device.NoSuchObject.'] } });
  t.equal(invalid.body.response?.getResp?.reqPathResults?.[0]?.errCode, 7026, `${label}: Get of an invalid path gives 7026 in its result`);

  const del = await ctrl.request({ delete: { allowPartial: false, objPaths: [row] } });
  t.strictSame(del.body.response?.deleteResp?.deletedObjResults?.[0]?.operStatus?.operSuccess?.affectedPaths, [row], `${label}: Delete removed the row`);

  // Operate: an async command gets a Request row (R-OPR.0); a sync command (Cancel) answers with output args.
  const timer = await ctrl.request({ operate: { command: 'Device.ScheduleTimer()', commandKey: `${label}-timer`, sendResp: true, inputArgs: { DelaySeconds: '3600' } } });
  const reqObjPath = timer.body.response?.operateResp?.operationResults?.[0]?.reqObjPath ?? '';
  t.match(reqObjPath, /^Device\.LocalAgent\.Request\.\d+$/, `${label}: Operate ScheduleTimer() answered with its Request row`);
  const req = await ctrl.request({ get: { paramPaths: [`${reqObjPath}.`] } });
  t.match(req.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams, { Command: 'Device.ScheduleTimer()', CommandKey: `${label}-timer`, Originator: ctrl.endpointId }, `${label}: the Request row names command, key and controller`);
  const cancel = await ctrl.request({ operate: { command: `${reqObjPath}.Cancel()`, sendResp: true } });
  t.strictSame(cancel.body.response?.operateResp?.operationResults?.[0]?.reqOutputArgs?.outputArgs, {}, `${label}: Operate Cancel() answered with its (empty) output args`);
}
