// Sample USP Msgs and Records covering every message type, oneof member, map and enum of
// the 1.4 schemas. Shared by the compatibility, golden and decoder tests.
import protobuf from 'protobufjs/minimal.js';
import {
  buildError,
  buildRecord,
  buildRequest,
  disconnectRecord,
  encodeMsg,
  mqttConnectRecord,
  MqttVersion,
  PayloadSarState,
  PayloadSecurity,
  stompConnectRecord,
  udsConnectRecord,
  websocketConnectRecord,
} from '../../../proto/index.js';
import type { Msg, UspRecord } from '../../../proto/index.js';
import { RESPONSE_SAMPLES } from './samples-responses.js';

export const AGENT_ID = 'os::00256D-0123456789';
export const CONTROLLER_ID = 'proto::controller-1';

export interface Sample<T> {
  readonly name: string;
  readonly value: T;
}

const REQUESTS: Sample<Msg>[] = [
  {
    name: 'Get',
    value: buildRequest('get-1', { get: { paramPaths: ['Device.DeviceInfo.', 'Device.LocalAgent.Controller.[EndpointID=="proto::c"].'], maxDepth: 2 } }),
  },
  {
    name: 'Set',
    value: buildRequest('set-1', {
      set: {
        allowPartial: true,
        updateObjs: [
          {
            objPath: 'Device.LocalAgent.Controller.1.',
            paramSettings: [
              { param: 'Enable', value: 'true', required: true },
              { param: 'PeriodicNotifInterval', value: '300' },
            ],
          },
        ],
      },
    }),
  },
  {
    name: 'Add',
    value: buildRequest('add-1', {
      add: {
        allowPartial: false,
        createObjs: [
          {
            objPath: 'Device.LocalAgent.Subscription.',
            paramSettings: [
              { param: 'NotifType', value: 'ValueChange', required: true },
              { param: 'ReferenceList', value: 'Device.DeviceInfo.UpTime' },
            ],
          },
        ],
      },
    }),
  },
  {
    name: 'Delete',
    value: buildRequest('del-1', { delete: { allowPartial: true, objPaths: ['Device.LocalAgent.Subscription.3.', 'Device.LocalAgent.Subscription.*.'] } }),
  },
  {
    name: 'Operate',
    value: buildRequest('op-1', {
      operate: {
        command: 'Device.DeviceInfo.FirmwareImage.2.Download()',
        commandKey: 'fw-42',
        sendResp: true,
        inputArgs: { URL: 'https://fw.example.org/img.bin', AutoActivate: 'false', CheckSumAlgorithm: 'SHA-256' },
      },
    }),
  },
  {
    name: 'GetSupportedDM',
    value: buildRequest('gsdm-1', {
      getSupportedDm: {
        objPaths: ['Device.LocalAgent.'],
        firstLevelOnly: true,
        returnCommands: true,
        returnEvents: true,
        returnParams: true,
        returnUniqueKeySets: true,
      },
    }),
  },
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
  NOTIFY('Event', {
    subscriptionId: 'sub-boot',
    sendResp: true,
    event: { objPath: 'Device.', eventName: 'Boot!', params: { CommandKey: '', Cause: 'LocalReboot', FirmwareUpdated: 'false', ParameterMap: '{}' } },
  }),
  NOTIFY('ValueChange', { subscriptionId: 'sub-vc', sendResp: false, valueChange: { paramPath: 'Device.DeviceInfo.FriendlyName', paramValue: 'Living room' } }),
  NOTIFY('ObjectCreation', {
    subscriptionId: 'sub-oc',
    objCreation: { objPath: 'Device.LocalAgent.Subscription.4.', uniqueKeys: { Alias: 'cpe-4', ID: 'sub-4' } },
  }),
  NOTIFY('ObjectDeletion', { subscriptionId: 'sub-od', objDeletion: { objPath: 'Device.LocalAgent.Subscription.4.' } }),
  NOTIFY('OperationComplete output', {
    subscriptionId: 'sub-opc',
    sendResp: true,
    operComplete: {
      objPath: 'Device.DeviceInfo.FirmwareImage.2.',
      commandName: 'Download()',
      commandKey: 'fw-42',
      reqOutputArgs: { outputArgs: { Result: 'ok' } },
    },
  }),
  NOTIFY('OperationComplete failure', {
    subscriptionId: 'sub-opc',
    operComplete: {
      objPath: 'Device.DeviceInfo.FirmwareImage.2.',
      commandName: 'Download()',
      commandKey: 'fw-43',
      cmdFailure: { errCode: 7023, errMsg: 'canceled' },
    },
  }),
  NOTIFY('OnBoardRequest', {
    subscriptionId: '',
    sendResp: true,
    onBoardReq: { oui: '00256D', productClass: 'Gateway', serialNumber: '0123456789', agentSupportedProtocolVersions: '1.0,1.1,1.2,1.3,1.4' },
  }),
];

const ERRORS: Sample<Msg>[] = [
  { name: 'Error', value: buildError('set-2', 7004, 'invalid arguments') },
  {
    name: 'Error with param_errs',
    value: buildError('set-3', 7021, 'required parameter failed', [
      { paramPath: 'Device.LocalAgent.Controller.1.Enable', errCode: 7012, errMsg: 'invalid value' },
      { paramPath: 'Device.LocalAgent.Controller.1.Alias', errCode: 7013, errMsg: 'read only' },
    ]),
  },
];

/** One Msg per request, response, notification kind and Error. */
export const MSG_SAMPLES: readonly Sample<Msg>[] = [...REQUESTS, ...NOTIFICATIONS, ...RESPONSE_SAMPLES, ...ERRORS];

// 64-bit values near the top of the range (TR-369 R-E2E.8/9) and above 2^53.
const NEAR_MAX = new protobuf.util.LongBits(0xfffffff0, 0xffffffff).toLong(true);
const ABOVE_2_53 = new protobuf.util.LongBits(1, 0x00200000).toLong(true);
const address = { toId: CONTROLLER_ID, fromId: AGENT_ID };
const firstPayload = encodeMsg(NOTIFICATIONS[1]!.value);

/** One Record per record_type member, plus the optional envelope fields. */
export const RECORD_SAMPLES: readonly Sample<UspRecord>[] = [
  { name: 'no_session_context', value: buildRecord({ ...address, payload: firstPayload }) },
  {
    name: 'no_session_context with signature',
    value: buildRecord({
      ...address,
      payload: firstPayload,
      payloadSecurity: PayloadSecurity.PLAINTEXT,
      macSignature: new Uint8Array([1, 2, 3, 4]),
      senderCert: new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    }),
  },
  {
    name: 'session_context',
    value: {
      version: '1.4',
      ...address,
      payloadSecurity: PayloadSecurity.TLS12,
      recordType: 'sessionContext',
      sessionContext: {
        sessionId: ABOVE_2_53,
        sequenceId: NEAR_MAX,
        expectedId: 7,
        retransmitId: 3,
        payloadSarState: PayloadSarState.BEGIN,
        payloadrecSarState: PayloadSarState.INPROCESS,
        payload: [firstPayload, new Uint8Array([0xde, 0xad])],
      },
    },
  },
  {
    name: 'session_context complete',
    value: {
      version: '1.4',
      ...address,
      recordType: 'sessionContext',
      sessionContext: {
        sessionId: 2,
        sequenceId: 1,
        expectedId: 1,
        payloadSarState: PayloadSarState.COMPLETE,
        payloadrecSarState: PayloadSarState.COMPLETE,
        payload: [firstPayload],
      },
    },
  },
  { name: 'websocket_connect', value: websocketConnectRecord(address) },
  { name: 'mqtt_connect v5', value: mqttConnectRecord({ ...address, version: MqttVersion.V5, subscribedTopic: 'usp/agent/os::00256D-0123456789' }) },
  { name: 'mqtt_connect v3.1.1', value: mqttConnectRecord({ ...address, version: MqttVersion.V3_1_1, subscribedTopic: 'usp/agent/a' }) },
  { name: 'stomp_connect', value: stompConnectRecord({ ...address, subscribedDestination: '/queue/agent-0123456789' }) },
  { name: 'disconnect', value: disconnectRecord({ ...address, reason: 'Session Context terminated', reasonCode: 7105 }) },
  { name: 'uds_connect', value: udsConnectRecord(address) },
];
