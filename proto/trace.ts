// Readable forms of Msgs and Records for protocol traces, logs and golden test fixtures.
import type { IConversionOptions } from 'protobufjs/minimal.js';
import { usp } from './generated/usp-msg.js';
import { usp_record } from './generated/usp-record.js';
import { msgTypeName } from './enums.js';
import { requestKind, responseKind } from './msg.js';
import type { JsonObject, Msg, UspRecord } from './types.js';

// proto3-JSON-like: enum names, 64-bit numbers and bytes as strings, oneof member names.
const TO_JSON: IConversionOptions = {
  enums: String,
  longs: String,
  bytes: String,
  oneofs: true,
  json: true,
};

/** Msg as plain JSON (camelCase field names, enums as names, bytes base64). */
export function msgToJson(msg: Msg): JsonObject {
  // Plain objects go through the wire first, so the trace shows exactly what is sent.
  const inst = msg instanceof usp.Msg ? msg : usp.Msg.decode(usp.Msg.encode(msg).finish());
  // toObject with TO_JSON yields only strings, numbers, booleans, arrays and objects.
  return usp.Msg.toObject(inst, TO_JSON);
}

/** Record as plain JSON; the payload stays base64 (decode it with `decodeMsg`). */
export function recordToJson(rec: UspRecord): JsonObject {
  const inst = rec instanceof usp_record.Record ? rec : usp_record.Record.decode(usp_record.Record.encode(rec).finish());
  return usp_record.Record.toObject(inst, TO_JSON);
}

/** Inverse of {@link msgToJson}, for fixtures and test controllers. Does not validate. */
export function msgFromJson(json: JsonObject): Msg {
  return usp.Msg.fromObject(json);
}

/** Inverse of {@link recordToJson}, for fixtures and test controllers. Does not validate. */
export function recordFromJson(json: JsonObject): UspRecord {
  return usp_record.Record.fromObject(json);
}

/** One-line summary for logs, e.g. `GET_RESP id=42 response.getResp`. */
export function describeMsg(msg: Msg): string {
  const type = msg.header == null ? 'NO_HEADER' : msgTypeName(msg.header.msgType ?? 0);
  const id = JSON.stringify(msg.header?.msgId ?? '');
  const body = msg.body;
  let what = 'empty body';
  if (body?.request != null) what = `request.${requestKind(body.request) ?? '?'}`;
  else if (body?.response != null) what = `response.${responseKind(body.response) ?? '?'}`;
  else if (body?.error != null) what = `error ${body.error.errCode ?? 0} ${JSON.stringify(body.error.errMsg ?? '')}`;
  return `${type} id=${id} ${what}`;
}

/** One-line summary for logs, e.g. `noSessionContext oui:00256D:a -> proto::ctrl (57 bytes)`. */
export function describeRecord(rec: UspRecord): string {
  const kind = rec.recordType ?? firstSetMember(rec) ?? 'no record_type';
  const size = rec.noSessionContext?.payload?.length;
  const extra = size === undefined ? '' : ` (${size} bytes)`;
  return `${kind} ${rec.fromId ?? ''} -> ${rec.toId ?? ''}${extra}`;
}

const RECORD_MEMBERS = ['noSessionContext', 'sessionContext', 'websocketConnect', 'mqttConnect', 'stompConnect', 'disconnect', 'udsConnect'] as const;

function firstSetMember(rec: UspRecord): string | undefined {
  return RECORD_MEMBERS.find((m) => rec[m] != null);
}
