// Sample responses for test/unit/proto: one per response type, covering every oneof member,
// map and GetSupportedDM enum. Aggregated into MSG_SAMPLES by samples.ts.
import { buildResponse, CmdType, ObjAccessType, ParamAccessType, ParamValueType, ValueChangeType } from '../../../proto/index.js';
import type { Msg } from '../../../proto/index.js';
import type { Sample } from './samples.js';

export const RESPONSE_SAMPLES: readonly Sample<Msg>[] = [
  {
    name: 'GetResp',
    value: buildResponse('get-1', {
      getResp: {
        reqPathResults: [
          {
            requestedPath: 'Device.DeviceInfo.',
            resolvedPathResults: [
              { resolvedPath: 'Device.DeviceInfo.', resultParams: { Manufacturer: 'Example', SerialNumber: '0123456789', UpTime: '4242' } },
              { resolvedPath: 'Device.DeviceInfo.FirmwareImage.1.', resultParams: {} },
            ],
          },
          { requestedPath: 'Device.Nope.', errCode: 7026, errMsg: 'invalid path' },
        ],
      },
    }),
  },
  {
    name: 'SetResp',
    value: buildResponse('set-1', {
      setResp: {
        updatedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.Controller.1.',
            operStatus: {
              operSuccess: {
                updatedInstResults: [
                  {
                    affectedPath: 'Device.LocalAgent.Controller.1.',
                    paramErrs: [{ param: 'PeriodicNotifInterval', errCode: 7012, errMsg: 'out of range' }],
                    updatedParams: { Enable: 'true' },
                  },
                ],
              },
            },
          },
          {
            requestedPath: 'Device.LocalAgent.MTP.*.',
            operStatus: {
              operFailure: {
                errCode: 7013,
                errMsg: 'read only',
                updatedInstFailures: [{ affectedPath: 'Device.LocalAgent.MTP.1.', paramErrs: [{ param: 'Protocol', errCode: 7013, errMsg: 'read only' }] }],
              },
            },
          },
        ],
      },
    }),
  },
  {
    name: 'AddResp',
    value: buildResponse('add-1', {
      addResp: {
        createdObjResults: [
          {
            requestedPath: 'Device.LocalAgent.Subscription.',
            operStatus: {
              operSuccess: {
                instantiatedPath: 'Device.LocalAgent.Subscription.4.',
                paramErrs: [{ param: 'TimeToLive', errCode: 7012, errMsg: 'bad value' }],
                uniqueKeys: { Alias: 'cpe-4', ID: 'sub-4' },
              },
            },
          },
          { requestedPath: 'Device.DeviceInfo.', operStatus: { operFailure: { errCode: 7019, errMsg: 'not a table' } } },
        ],
      },
    }),
  },
  {
    name: 'DeleteResp',
    value: buildResponse('del-1', {
      deleteResp: {
        deletedObjResults: [
          {
            requestedPath: 'Device.LocalAgent.Subscription.*.',
            operStatus: {
              operSuccess: {
                affectedPaths: ['Device.LocalAgent.Subscription.3.'],
                unaffectedPathErrs: [{ unaffectedPath: 'Device.LocalAgent.Subscription.1.', errCode: 7006, errMsg: 'permission denied' }],
              },
            },
          },
          { requestedPath: 'Device.DeviceInfo.', operStatus: { operFailure: { errCode: 7024, errMsg: 'not deletable' } } },
        ],
      },
    }),
  },
  {
    name: 'OperateResp',
    value: buildResponse('op-1', {
      operateResp: {
        operationResults: [
          { executedCommand: 'Device.DeviceInfo.FirmwareImage.2.Download()', reqObjPath: 'Device.LocalAgent.Request.1' },
          { executedCommand: 'Device.Reboot()', reqOutputArgs: { outputArgs: {} } },
          { executedCommand: 'Device.SelfTest()', reqOutputArgs: { outputArgs: { Results: 'pass', Duration: '12' } } },
          { executedCommand: 'Device.IP.Diagnostics.IPPing()', cmdFailure: { errCode: 7027, errMsg: 'Host is mandatory' } },
        ],
      },
    }),
  },
  { name: 'NotifyResp', value: buildResponse('notify-ValueChange', { notifyResp: { subscriptionId: 'sub-vc' } }) },
  {
    name: 'GetSupportedDMResp',
    value: buildResponse('gsdm-1', {
      getSupportedDmResp: {
        reqObjResults: [
          {
            reqObjPath: 'Device.LocalAgent.',
            dataModelInstUri: 'urn:broadband-forum-org:tr-181-2-19-1-usp',
            supportedObjs: [
              {
                supportedObjPath: 'Device.LocalAgent.',
                access: ObjAccessType.OBJ_READ_ONLY,
                isMultiInstance: false,
                supportedCommands: [
                  { commandName: 'AddCertificate()', inputArgNames: ['Alias', 'Certificate'], outputArgNames: [], commandType: CmdType.CMD_SYNC },
                  { commandName: 'ScheduleTimer()', inputArgNames: ['DelaySeconds'], commandType: CmdType.CMD_ASYNC },
                ],
                supportedEvents: [
                  { eventName: 'Periodic!', argNames: [] },
                  { eventName: 'TransferComplete!', argNames: ['Command', 'CommandKey', 'Requestor'] },
                ],
                supportedParams: [
                  {
                    paramName: 'EndpointID',
                    access: ParamAccessType.PARAM_READ_ONLY,
                    valueType: ParamValueType.PARAM_STRING,
                    valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED,
                  },
                  {
                    paramName: 'UpTime',
                    access: ParamAccessType.PARAM_READ_ONLY,
                    valueType: ParamValueType.PARAM_UNSIGNED_INT,
                    valueChange: ValueChangeType.VALUE_CHANGE_WILL_IGNORE,
                  },
                  {
                    paramName: 'Password',
                    access: ParamAccessType.PARAM_WRITE_ONLY,
                    valueType: ParamValueType.PARAM_HEX_BINARY,
                    valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED,
                  },
                ],
                divergentPaths: ['Device.LocalAgent.Foo.1.', 'Device.LocalAgent.Foo.2.'],
              },
              {
                supportedObjPath: 'Device.LocalAgent.Subscription.{i}.',
                access: ObjAccessType.OBJ_ADD_DELETE,
                isMultiInstance: true,
                uniqueKeySets: [{ keyNames: ['Alias'] }, { keyNames: ['Recipient', 'ID'] }],
                supportedParams: [
                  {
                    paramName: 'Enable',
                    access: ParamAccessType.PARAM_READ_WRITE,
                    valueType: ParamValueType.PARAM_BOOLEAN,
                    valueChange: ValueChangeType.VALUE_CHANGE_ALLOWED,
                  },
                ],
              },
              { supportedObjPath: 'Device.LocalAgent.Request.{i}.', access: ObjAccessType.OBJ_DELETE_ONLY, isMultiInstance: true },
              { supportedObjPath: 'Device.X_EXAMPLE.Queue.{i}.', access: ObjAccessType.OBJ_ADD_ONLY, isMultiInstance: true },
            ],
          },
          { reqObjPath: 'Device.Nope.', errCode: 7026, errMsg: 'invalid path' },
        ],
      },
    }),
  },
  {
    name: 'GetInstancesResp',
    value: buildResponse('gi-1', {
      getInstancesResp: {
        reqPathResults: [
          {
            requestedPath: 'Device.LocalAgent.Controller.',
            currInsts: [
              { instantiatedObjPath: 'Device.LocalAgent.Controller.1.', uniqueKeys: { Alias: 'cpe-1', EndpointID: 'proto::controller-1' } },
              { instantiatedObjPath: 'Device.LocalAgent.Controller.1.MTP.1.', uniqueKeys: { Alias: 'cpe-1' } },
            ],
          },
          { requestedPath: 'Device.DeviceInfo.', errCode: 7018, errMsg: 'not a table' },
        ],
      },
    }),
  },
  { name: 'GetSupportedProtocolResp', value: buildResponse('gsp-1', { getSupportedProtocolResp: { agentSupportedProtocolVersions: '1.0,1.1,1.2,1.3,1.4' } }) },
  {
    name: 'RegisterResp',
    value: buildResponse('reg-1', {
      registerResp: {
        registeredPathResults: [
          { requestedPath: 'Device.Foo.', operStatus: { operSuccess: { registeredPath: 'Device.Foo.' } } },
          { requestedPath: 'Device.Bar.', operStatus: { operFailure: { errCode: 7029, errMsg: 'path already registered' } } },
        ],
      },
    }),
  },
  {
    name: 'DeregisterResp',
    value: buildResponse('dereg-1', {
      deregisterResp: {
        deregisteredPathResults: [
          { requestedPath: '', operStatus: { operSuccess: { deregisteredPath: ['Device.Foo.', 'Device.Bar.'] } } },
          { requestedPath: 'Device.Baz.', operStatus: { operFailure: { errCode: 7030, errMsg: 'not registered' } } },
        ],
      },
    }),
  },
];
