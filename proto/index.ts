// The only module other folders import from proto/ (STYLE.md §2). It re-exports the
// codec, builders and friendly types; proto/generated/ stays private to proto/.
export { ProtoDecodeError } from './decode-error.js';
export type { ProtoDecodeErrorKind, ProtoDecodeErrorOptions } from './decode-error.js';

export { encodeMsg, decodeMsg, buildRequest, buildResponse, buildError, requestKind, requestTypeField, responseKind, msgTypeForBody } from './msg.js';

export {
  USP_RECORD_VERSION,
  encodeRecord,
  decodeRecord,
  buildRecord,
  mqttConnectRecord,
  stompConnectRecord,
  websocketConnectRecord,
  udsConnectRecord,
  disconnectRecord,
} from './record.js';
export type { RecordAddress, BuildRecordOptions } from './record.js';

export { uint64ToBigInt, uint64FromBigInt } from './uint64.js';

export { msgToJson, recordToJson, msgFromJson, recordFromJson, describeMsg, describeRecord } from './trace.js';

export {
  MsgType,
  ParamAccessType,
  ObjAccessType,
  ParamValueType,
  ValueChangeType,
  CmdType,
  PayloadSecurity,
  PayloadSarState,
  MqttVersion,
  StompVersion,
  REQUEST_MSG_TYPE,
  RESPONSE_MSG_TYPE,
  REQUEST_KINDS,
  RESPONSE_KINDS,
  BODY_KINDS,
  msgTypeName,
} from './enums.js';

export type * from './types.js';

/**
 * The generated namespaces, for enum values and nested types without an alias above.
 * Put bytes on the wire only through encodeMsg/encodeRecord and read them only through
 * decodeMsg/decodeRecord: the raw generated decode() skips the R-ENC checks.
 */
export { usp } from './generated/usp-msg.js';
export { usp_record } from './generated/usp-record.js';
