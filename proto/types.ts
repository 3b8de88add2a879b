// Friendly names for the generated message types, so other folders never import
// proto/generated/. They are the protobufjs "$Properties" interfaces: plain objects with
// every field optional, which is what handlers build and what the encoders accept.
// Decoded values are typed as the generated classes (see DecodedMsg / DecodedRecord).
// Requests carry a `Req` suffix because `Set`, `Error` and `Record` would shadow globals.
import type { usp } from './generated/usp-msg.js';
import type { usp_record } from './generated/usp-record.js';

// Msg envelope (TR-369 §Messages).
export type Msg = usp.Msg.$Properties;
export type Header = usp.Header.$Properties;
export type Body = usp.Body.$Properties;
export type Request = usp.Request.$Properties;
export type Response = usp.Response.$Properties;
/** The USP Error message (whole-message failure). */
export type ErrorMsg = usp.Error.$Properties;
/** Error message entry; `paramPath` is a full path. */
export type ParamError = usp.Error.ParamError.$Properties;
/** Per-object entry in Add/Set responses; `param` is relative (same shape in both). */
export type ParameterError = usp.SetResp.ParameterError.$Properties;

/** Name of the set member of each oneof container. */
export type BodyKind = NonNullable<usp.Body['msgBody']>;
export type RequestKind = NonNullable<usp.Request['reqType']>;
export type ResponseKind = NonNullable<usp.Response['respType']>;

// Requests and responses (TR-369 §Messages, one section each).
export type GetReq = usp.Get.$Properties;
export type GetResp = usp.GetResp.$Properties;
export type GetRequestedPathResult = usp.GetResp.RequestedPathResult.$Properties;
export type GetResolvedPathResult = usp.GetResp.ResolvedPathResult.$Properties;
export type SetReq = usp.Set.$Properties;
export type SetResp = usp.SetResp.$Properties;
export type SetUpdatedObjectResult = usp.SetResp.UpdatedObjectResult.$Properties;
export type SetUpdatedInstanceResult = usp.SetResp.UpdatedInstanceResult.$Properties;
export type SetUpdatedInstanceFailure = usp.SetResp.UpdatedInstanceFailure.$Properties;
export type AddReq = usp.Add.$Properties;
export type AddResp = usp.AddResp.$Properties;
export type AddCreatedObjectResult = usp.AddResp.CreatedObjectResult.$Properties;
export type DeleteReq = usp.Delete.$Properties;
export type DeleteResp = usp.DeleteResp.$Properties;
export type DeleteDeletedObjectResult = usp.DeleteResp.DeletedObjectResult.$Properties;
export type DeleteUnaffectedPathError = usp.DeleteResp.UnaffectedPathError.$Properties;
export type OperateReq = usp.Operate.$Properties;
export type OperateResp = usp.OperateResp.$Properties;
export type OperationResult = usp.OperateResp.OperationResult.$Properties;
export type NotifyReq = usp.Notify.$Properties;
export type NotifyResp = usp.NotifyResp.$Properties;
export type NotifyEvent = usp.Notify.Event.$Properties;
export type NotifyValueChange = usp.Notify.ValueChange.$Properties;
export type NotifyObjectCreation = usp.Notify.ObjectCreation.$Properties;
export type NotifyObjectDeletion = usp.Notify.ObjectDeletion.$Properties;
export type NotifyOperationComplete = usp.Notify.OperationComplete.$Properties;
export type NotifyOnBoardRequest = usp.Notify.OnBoardRequest.$Properties;
export type GetSupportedDmReq = usp.GetSupportedDM.$Properties;
export type GetSupportedDmResp = usp.GetSupportedDMResp.$Properties;
export type SupportedObjectResult = usp.GetSupportedDMResp.SupportedObjectResult.$Properties;
export type SupportedParamResult = usp.GetSupportedDMResp.SupportedParamResult.$Properties;
export type SupportedCommandResult = usp.GetSupportedDMResp.SupportedCommandResult.$Properties;
export type SupportedEventResult = usp.GetSupportedDMResp.SupportedEventResult.$Properties;
export type GetInstancesReq = usp.GetInstances.$Properties;
export type GetInstancesResp = usp.GetInstancesResp.$Properties;
export type CurrInstance = usp.GetInstancesResp.CurrInstance.$Properties;
export type GetSupportedProtocolReq = usp.GetSupportedProtocol.$Properties;
export type GetSupportedProtocolResp = usp.GetSupportedProtocolResp.$Properties;
export type RegisterReq = usp.Register.$Properties;
export type RegisterResp = usp.RegisterResp.$Properties;
export type DeregisterReq = usp.Deregister.$Properties;
export type DeregisterResp = usp.DeregisterResp.$Properties;

// Records (TR-369 §MTP "Record Definition").
export type UspRecord = usp_record.Record.$Properties;
export type RecordType = NonNullable<usp_record.Record['recordType']>;
export type NoSessionContextRecord = usp_record.NoSessionContextRecord.$Properties;
export type SessionContextRecord = usp_record.SessionContextRecord.$Properties;
export type MqttConnectRecord = usp_record.MQTTConnectRecord.$Properties;
export type StompConnectRecord = usp_record.STOMPConnectRecord.$Properties;
export type DisconnectRecord = usp_record.DisconnectRecord.$Properties;

/**
 * A Msg that passed `decodeMsg`: a generated class instance whose header (with a
 * non-empty msg_id) and body (with one member) are present. `body` narrows on `msgBody`.
 */
export type DecodedMsg = usp.Msg & {
  header: usp.Header;
  body: usp.Body & usp.Body.$Shape & { msgBody: BodyKind };
};

/**
 * A Record that passed `decodeRecord`: version, to_id, from_id are non-empty and one
 * record_type member is set (R-MTP.4b). Narrows on `recordType`.
 */
export type DecodedRecord = usp_record.Record & usp_record.Record.$Shape & { recordType: RecordType };

/** Plain JSON, as produced by `msgToJson` / `recordToJson`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
