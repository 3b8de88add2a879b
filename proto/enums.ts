// Enum values of the USP schemas under short names (value and type of the same name).
import { usp } from './generated/usp-msg.js';
import { usp_record } from './generated/usp-record.js';
import type { BodyKind, RequestKind, ResponseKind } from './types.js';

/** Header.msg_type (TR-369 R-MSG.7); informational, the body decides (R-MSG.10). */
export const MsgType = usp.Header.MsgType;
export type MsgType = usp.Header.MsgType;

/** GetSupportedDMResp enums (TR-369 §The GetSupportedDM Message). */
export const ParamAccessType = usp.GetSupportedDMResp.ParamAccessType;
export type ParamAccessType = usp.GetSupportedDMResp.ParamAccessType;
export const ObjAccessType = usp.GetSupportedDMResp.ObjAccessType;
export type ObjAccessType = usp.GetSupportedDMResp.ObjAccessType;
export const ParamValueType = usp.GetSupportedDMResp.ParamValueType;
export type ParamValueType = usp.GetSupportedDMResp.ParamValueType;
export const ValueChangeType = usp.GetSupportedDMResp.ValueChangeType;
export type ValueChangeType = usp.GetSupportedDMResp.ValueChangeType;
export const CmdType = usp.GetSupportedDMResp.CmdType;
export type CmdType = usp.GetSupportedDMResp.CmdType;

/** Record enums (TR-369 §MTP "Record Definition", §E2E "Segmented Message Exchange"). */
export const PayloadSecurity = usp_record.Record.PayloadSecurity;
export type PayloadSecurity = usp_record.Record.PayloadSecurity;
export const PayloadSarState = usp_record.SessionContextRecord.PayloadSARState;
export type PayloadSarState = usp_record.SessionContextRecord.PayloadSARState;
export const MqttVersion = usp_record.MQTTConnectRecord.MQTTVersion;
export type MqttVersion = usp_record.MQTTConnectRecord.MQTTVersion;
export const StompVersion = usp_record.STOMPConnectRecord.STOMPVersion;
export type StompVersion = usp_record.STOMPConnectRecord.STOMPVersion;

/** msg_type to put in the header for each request member. */
export const REQUEST_MSG_TYPE: { readonly [K in RequestKind]: MsgType } = {
  get: MsgType.GET,
  getSupportedDm: MsgType.GET_SUPPORTED_DM,
  getInstances: MsgType.GET_INSTANCES,
  set: MsgType.SET,
  add: MsgType.ADD,
  delete: MsgType.DELETE,
  operate: MsgType.OPERATE,
  notify: MsgType.NOTIFY,
  getSupportedProtocol: MsgType.GET_SUPPORTED_PROTO,
  register: MsgType.REGISTER,
  deregister: MsgType.DEREGISTER,
};

/** msg_type to put in the header for each response member. */
export const RESPONSE_MSG_TYPE: { readonly [K in ResponseKind]: MsgType } = {
  getResp: MsgType.GET_RESP,
  getSupportedDmResp: MsgType.GET_SUPPORTED_DM_RESP,
  getInstancesResp: MsgType.GET_INSTANCES_RESP,
  setResp: MsgType.SET_RESP,
  addResp: MsgType.ADD_RESP,
  deleteResp: MsgType.DELETE_RESP,
  operateResp: MsgType.OPERATE_RESP,
  notifyResp: MsgType.NOTIFY_RESP,
  getSupportedProtocolResp: MsgType.GET_SUPPORTED_PROTO_RESP,
  registerResp: MsgType.REGISTER_RESP,
  deregisterResp: MsgType.DEREGISTER_RESP,
};

export const REQUEST_KINDS = Object.keys(REQUEST_MSG_TYPE) as readonly RequestKind[];
export const RESPONSE_KINDS = Object.keys(RESPONSE_MSG_TYPE) as readonly ResponseKind[];
export const BODY_KINDS: readonly BodyKind[] = ['request', 'response', 'error'];

/** Enum name of a msg_type (`"GET_RESP"`), or the number as text when unknown. */
export function msgTypeName(type: MsgType): string {
  return MsgType[type] ?? String(type);
}
