// Sample USP Msgs and Records covering every message type, oneof member, map and enum of
// the 1.4 schemas. Shared by the compatibility, golden and decoder tests.
import protobuf from 'protobufjs/minimal.js';
import {
  buildError,
  buildRecord,
  buildRequest,
  buildResponse,
  CmdType,
  disconnectRecord,
  encodeMsg,
  mqttConnectRecord,
  MqttVersion,
  ObjAccessType,
  ParamAccessType,
  ParamValueType,
  PayloadSarState,
  PayloadSecurity,
  stompConnectRecord,
  udsConnectRecord,
  ValueChangeType,
  websocketConnectRecord,
} from '../../../proto/index.js';
import type { Msg, UspRecord } from '../../../proto/index.js';

export const AGENT_ID = 'os::00256D-0123456789';
export const CONTROLLER_ID = 'proto::controller-1';

export interface Sample<T> {
  readonly name: string;
  readonly value: T;
}

const REQUESTS: Sample<Msg>[] = [
  { name: 'Get', value: buildRequest('get-1', { get: { paramPaths: ['Device.DeviceInfo.', 'Device.LocalAgent.Controller.[EndpointID=="proto::c"].'], maxDepth: 2 } }) },
  { name: 'Set', value: buildRequest('set-1', { set: { allowPartial: true, updateObjs: [{ objPath: 'Device.LocalAgent.Controller.1.', paramSettings: [{ param: 'Enable', value: 'true', required: true }, { param: 'PeriodicNotifInterval', value: '300' }] }] } }) },
  { name: 'Add', value: buildRequest('add-1', { add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [{ param: 'NotifType', value: 'ValueChange', required: true }, { param: 'ReferenceList', value: 'Device.DeviceInfo.UpTime' }] }] } }) },
  { name: 'Delete', value: buildRequest('del-1', { delete: { allowPartial: true, objPaths: ['Device.LocalAgent.Subscription.3.', 'Device.LocalAgent.Subscription.*.'] } }) },
  { name: 'Operate', value: buildRequest('op-1', { operate: { command: 'Device.DeviceInfo.FirmwareImage.2.Download()', commandKey: 'fw-42', sendResp: true, inputArgs: { URL: 'https://fw.example.org/img.bin', AutoActivate: 'false', CheckSumAlgorithm: 'SHA-256' } } }) },
  { name: 'GetSupportedDM', value: buildRequest('gsdm-1', { getSupportedDm: { objPaths: ['Device.LocalAgent.'], firstLevelOnly: true, returnCommands: true, returnEvents: true, returnParams: true, returnUniqueKeySets: true } }) },
  { name: 'GetInstances', value: buildRequest('gi-1', { getInstances: { objPaths: ['Device.LocalAgent.Controller.'], firstLevelOnly: false } }) },
  { name: 'GetSupportedProtocol', value: buildRequest('gsp-1', { getSupportedProtocol: { controllerSupportedProtocolVersions: '1.3,1.4' } }) },
  { name: 'Register', value: buildRequest('reg-1', { register: { allowPartial: true, regPaths: [{ path: 'Device.Foo.' }, { path: 'Device.Bar.' }] } }) },
  { name: 'Deregister', value: buildRequest('dereg-1', { deregister: { paths: ['Device.Foo.', ''] } }) },
];

const NOTIFY = (name: string, notify: Parameters<typeof buildRequest>[1]['notify']): Sample<Msg> => ({
  name: `Notify ${name}`,
  value: buildRequest(`notify-${name}`, { notify }),
});

const NOTIFICATIONS: Sample<Msg>[] = [
  NOTIFY('Event', { subscriptionId: 'sub-boot', sendResp: true, event: { objPath: 'Device.', eventName: 'Boot!', params: { CommandKey: '', Cause: 'LocalReboot', FirmwareUpdated: 'false', ParameterMap: '{}' } } }),
  NOTIFY('ValueChange', { subscriptionId: 'sub-vc', sendResp: false, valueChange: { paramPath: 'Device.DeviceInfo.FriendlyName', paramValue: 'Living room' } }),
  NOTIFY('ObjectCreation', { subscriptionId: 'sub-oc', objCreation: { objPath: 'Device.LocalAgent.Subscription.4.', uniqueKeys: { Alias: 'cpe-4', ID: 'sub-4' } } }),
  NOTIFY('ObjectDeletion', { subscriptionId: 'sub-od', objDeletion: { objPath: 'Device.LocalAgent.Subscription.4.' } }),
  NOTIFY('OperationComplete output', { subscriptionId: 'sub-opc', sendResp: true, operComplete: { objPath: 'Device.DeviceInfo.FirmwareImage.2.', commandName: 'Download()', commandKey: 'fw-42', reqOutputArgs: { outputArgs: { Result: 'ok' } } } }),
  NOTIFY('OperationComplete failure', { subscriptionId: 'sub-opc', operComplete: { objPath: 'Device.DeviceInfo.FirmwareImage.2.', commandName: 'Download()', commandKey: 'fw-43', cmdFailure: { errCode: 7023, errMsg: 'canceled' } } }),
  NOTIFY('OnBoardRequest', { subscriptionId: '', sendResp: true, onBoardReq: { oui: '00256D', productClass: 'Gateway', serialNumber: '0123456789', agentSupportedProtocolVersions: '1.0,1.1,1.2,1.3,1.4' } }),
];

const RESPONSES: Sample<Msg>[] = [
  { name: 'GetResp', value: buildResponse('get-1', { getResp: { reqPathResults: [
    { requestedPath: 'Device.DeviceInfo.', resolvedPathResults: [{ resolvedPath: 'Device.DeviceInfo.', resultParams: { Manufacturer: 'Example', SerialNumber: '0123456789', UpTime: '4242' } }, { resolvedPath: 'Device.DeviceInfo.FirmwareImage.1.', resultParams: {} }] },
    { requestedPath: 'Device.Nope.', errCode: 7026, errMsg: 'invalid path' },
  ] } }) },
  { name: 'SetResp', value: buildResponse('set-1', { setResp: { updatedObjResults: [
    { requestedPath: 'Device.LocalAgent.Controller.1.', operStatus: { operSuccess: { updatedInstResults: [{ affectedPath: 'Device.LocalAgent.Controller.1.', paramErrs: [{ param: 'PeriodicNotifInterval', errCode: 7012, errMsg: 'out of range' }], updatedParams: { Enable: 'true' } }] } } },
    { requestedPath: 'Device.LocalAgent.MTP.*.', operStatus: { operFailure: { errCode: 7013, errMsg: 'read only', updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.MTP.1.', paramErrs: [{ param: 'Protocol', errCode: 7013, errMsg: 'read only' }] }] } } },
  ] } }) },
  { name: 'AddResp', value: buildResponse('add-1', { addResp: { createdObjResults: [
    { requestedPath: 'Device.LocalAgent.Subscription.', operStatus: { operSuccess: { instantiatedPath: 'Device.LocalAgent.Subscription.4.', paramErrs: [{ param: 'TimeToLive', errCode: 7012, errMsg: 'bad value' }], uniqueKeys: { Alias: 'cpe-4', ID: 'sub-4' } } } },
    { requestedPath: 'Device.DeviceInfo.', operStatus: { operFailure: { errCode: 7019, errMsg: 'not a table' } } },
  ] } }) },
  { name: 'DeleteResp', value: buildResponse('del-1', { deleteResp: { deletedObjResults: [
    { requestedPath: 'Device.LocalAgent.Subscription.*.', operStatus: { operSuccess: { affectedPaths: ['Device.LocalAgent.Subscription.3.'], unaffectedPathErrs: [{ unaffectedPath: 'Device.LocalAgent.Subscription.1.', errCode: 7006, errMsg: 'permission denied' }] } } },
    { requestedPath: 'Device.DeviceInfo.', operStatus: { operFailure: { errCode: 7024, errMsg: 'not deletable' } } },
  ] } }) },
  { name: 'OperateResp', value: buildResponse('op-1', { operateResp: { operationResults: [
    { executedCommand: 'Device.DeviceInfo.FirmwareImage.2.Download()', reqObjPath: 'Device.LocalAgent.Request.1' },
    { executedCommand: 'Device.Reboot()', reqOutputArgs: { outputArgs: {} } },
    { executedCommand: 'Device.SelfTest()', reqOutputArgs: { outputArgs: { Results: 'pass', Duration: '12' } } },
    { executedCommand: 'Device.IP.Diagnostics.IPPing()', cmdFailure: { errCode: 7027, errMsg: 'Host is mandatory' } },
  ] } }) },
  { name: 'NotifyResp', value: buildResponse('notify-ValueChange', { notifyResp: { subscriptionId: 'sub-vc' } }) },
  { name: 'GetSupportedDMResp', value: buildResponse('gsdm-1', { getSupportedDmResp: { reqObjResults: [
    { reqObjPath: 'Device.LocalAgent.', dataModelInstUri: 'urn:broadband-forum-org:tr-181-2-19-1-usp', supportedObjs: [
      { supportedObjPath: 'Device.LocalAgent.', access: ObjAccessType.OBJ_READ_ONLY, isMultiInstance: false,
        supportedCommands: [{ commandName: 'AddCertificate()', inputArgNames: ['Alias', 'Certificate'], outputArgNames: [], commandType: CmdType.CMD_SYNC }, { commandName: 'ScheduleTimer()', inputArgNames: ['DelaySeconds'], commandType: CmdType.CMD_ASYNC }],
        supportedEvents: [{ eventName: 'Periodic!', argNames: [] }, { eventName: 'TransferComplete!', argNames: ['Command', 'CommandKey', 'Requestor'] }],
        supportedParams: [
          { paramName: 'EndpointID', access: ParamAccessType.PARAM_READ_ONLY, valueType: ParamValueType.PARAM_STRING, valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED },
          { paramName: 'UpTime', access: ParamAccessType.PARAM_READ_ONLY, valueType: ParamValueType.PARAM_UNSIGNED_INT, valueChange: ValueChangeType.VALUE_CHANGE_WILL_IGNORE },
          { paramName: 'Password', access: ParamAccessType.PARAM_WRITE_ONLY, valueType: ParamValueType.PARAM_HEX_BINARY, valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED },
        ],
        divergentPaths: ['Device.LocalAgent.Foo.1.', 'Device.LocalAgent.Foo.2.'] },
      { supportedObjPath: 'Device.LocalAgent.Subscription.{i}.', access: ObjAccessType.OBJ_ADD_DELETE, isMultiInstance: true,
        uniqueKeySets: [{ keyNames: ['Alias'] }, { keyNames: ['Recipient', 'ID'] }],
        supportedParams: [{ paramName: 'Enable', access: ParamAccessType.PARAM_READ_WRITE, valueType: ParamValueType.PARAM_BOOLEAN, valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED }] },
      { supportedObjPath: 'Device.LocalAgent.Request.{i}.', access: ObjAccessType.OBJ_DELETE_ONLY, isMultiInstance: true },
      { supportedObjPath: 'Device.X_EXAMPLE.Queue.{i}.', access: ObjAccessType.OBJ_ADD_ONLY, isMultiInstance: true },
    ] },
    { reqObjPath: 'Device.Nope.', errCode: 7026, errMsg: 'invalid path' },
  ] } }) },
  { name: 'GetInstancesResp', value: buildResponse('gi-1', { getInstancesResp: { reqPathResults: [
    { requestedPath: 'Device.LocalAgent.Controller.', currInsts: [{ instantiatedObjPath: 'Device.LocalAgent.Controller.1.', uniqueKeys: { Alias: 'cpe-1', EndpointID: 'proto::controller-1' } }, { instantiatedObjPath: 'Device.LocalAgent.Controller.1.MTP.1.', uniqueKeys: { Alias: 'cpe-1' } }] },
    { requestedPath: 'Device.DeviceInfo.', errCode: 7018, errMsg: 'not a table' },
  ] } }) },
  { name: 'GetSupportedProtocolResp', value: buildResponse('gsp-1', { getSupportedProtocolResp: { agentSupportedProtocolVersions: '1.0,1.1,1.2,1.3,1.4' } }) },
  { name: 'RegisterResp', value: buildResponse('reg-1', { registerResp: { registeredPathResults: [
    { requestedPath: 'Device.Foo.', operStatus: { operSuccess: { registeredPath: 'Device.Foo.' } } },
    { requestedPath: 'Device.Bar.', operStatus: { operFailure: { errCode: 7029, errMsg: 'path already registered' } } },
  ] } }) },
  { name: 'DeregisterResp', value: buildResponse('dereg-1', { deregisterResp: { deregisteredPathResults: [
    { requestedPath: '', operStatus: { operSuccess: { deregisteredPath: ['Device.Foo.', 'Device.Bar.'] } } },
    { requestedPath: 'Device.Baz.', operStatus: { operFailure: { errCode: 7030, errMsg: 'not registered' } } },
  ] } }) },
];

const ERRORS: Sample<Msg>[] = [
  { name: 'Error', value: buildError('set-2', 7004, 'invalid arguments') },
  { name: 'Error with param_errs', value: buildError('set-3', 7021, 'required parameter failed', [
    { paramPath: 'Device.LocalAgent.Controller.1.Enable', errCode: 7012, errMsg: 'invalid value' },
    { paramPath: 'Device.LocalAgent.Controller.1.Alias', errCode: 7013, errMsg: 'read only' },
  ]) },
];

/** One Msg per request, response, notification kind and Error. */
export const MSG_SAMPLES: readonly Sample<Msg>[] = [...REQUESTS, ...NOTIFICATIONS, ...RESPONSES, ...ERRORS];

// 64-bit values near the top of the range (TR-369 R-E2E.8/9) and above 2^53.
const NEAR_MAX = new protobuf.util.LongBits(0xfffffff0, 0xffffffff).toLong(true);
const ABOVE_2_53 = new protobuf.util.LongBits(1, 0x00200000).toLong(true);
const address = { toId: CONTROLLER_ID, fromId: AGENT_ID };
const firstPayload = encodeMsg(NOTIFICATIONS[1]!.value);

/** One Record per record_type member, plus the optional envelope fields. */
export const RECORD_SAMPLES: readonly Sample<UspRecord>[] = [
  { name: 'no_session_context', value: buildRecord({ ...address, payload: firstPayload }) },
  { name: 'no_session_context with signature', value: buildRecord({ ...address, payload: firstPayload, payloadSecurity: PayloadSecurity.PLAINTEXT, macSignature: new Uint8Array([1, 2, 3, 4]), senderCert: new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n') }) },
  { name: 'session_context', value: { version: '1.4', ...address, payloadSecurity: PayloadSecurity.TLS12, recordType: 'sessionContext', sessionContext: { sessionId: ABOVE_2_53, sequenceId: NEAR_MAX, expectedId: 7, retransmitId: 3, payloadSarState: PayloadSarState.BEGIN, payloadrecSarState: PayloadSarState.INPROCESS, payload: [firstPayload, new Uint8Array([0xde, 0xad])] } } },
  { name: 'session_context complete', value: { version: '1.4', ...address, recordType: 'sessionContext', sessionContext: { sessionId: 2, sequenceId: 1, expectedId: 1, payloadSarState: PayloadSarState.COMPLETE, payloadrecSarState: PayloadSarState.COMPLETE, payload: [firstPayload] } } },
  { name: 'websocket_connect', value: websocketConnectRecord(address) },
  { name: 'mqtt_connect v5', value: mqttConnectRecord({ ...address, version: MqttVersion.V5, subscribedTopic: 'usp/agent/os::00256D-0123456789' }) },
  { name: 'mqtt_connect v3.1.1', value: mqttConnectRecord({ ...address, version: MqttVersion.V3_1_1, subscribedTopic: 'usp/agent/a' }) },
  { name: 'stomp_connect', value: stompConnectRecord({ ...address, subscribedDestination: '/queue/agent-0123456789' }) },
  { name: 'disconnect', value: disconnectRecord({ ...address, reason: 'Session Context terminated', reasonCode: 7105 }) },
  { name: 'uds_connect', value: udsConnectRecord(address) },
];
