import protobuf from 'protobufjs/minimal.js';
import { usp } from './generated/usp-msg.js';
import { ProtoDecodeError } from './decode-error.js';
import { MsgType, REQUEST_KINDS, REQUEST_MSG_TYPE, RESPONSE_KINDS, RESPONSE_MSG_TYPE } from './enums.js';
import { findWireViolation } from './wire-check.js';
import type { Body, DecodedMsg, Msg, ParamError, Request, RequestKind, Response, ResponseKind } from './types.js';

// One writer reused for every encode (encode() is synchronous): saves growing a fresh buffer
// for every reply, a measurable part of a Get reply's cost.
let writer = protobuf.Writer.create();

/** Serializes a USP Msg (TR-369 §Messages) to protobuf bytes. */
export function encodeMsg(msg: Msg): Uint8Array {
  try {
    return usp.Msg.encode(msg, writer).finish();
  } catch (e) {
    // A failed encode can leave forks open: start over with a fresh writer.
    writer = protobuf.Writer.create();
    throw e;
  } finally {
    // finish() copies out but keeps the position; a balanced encode resets to 0.
    writer.reset();
  }
}

/**
 * Parses and validates a USP Msg. Throws {@link ProtoDecodeError} only:
 * `malformed` for bad protobuf or an unknown enum value (R-ENC.2), `oneof` when a oneof
 * has two members (R-ENC.3; answer 7004 per R-ENC.5), `missing` when header, msg_id or
 * body is absent (R-MSG.6-8). `msgId` is set on the error whenever the header was readable.
 *
 * An empty Request/Response (e.g. a message type from a newer USP version) is accepted;
 * the dispatcher answers it as unsupported (R-MSG.1).
 */
export function decodeMsg(bytes: Uint8Array): DecodedMsg {
  let msg: usp.Msg;
  try {
    msg = usp.Msg.decode(bytes);
  } catch (e) {
    // The header comes first on the wire; when it is intact (e.g. only the body was cut off)
    // its msg_id still lets the receiver answer with an Error (R-MTP.5, R-ENC.5).
    throw new ProtoDecodeError('malformed', `Msg is not valid protobuf: ${errText(e)}`, { cause: e, msgId: intactHeaderMsgId(bytes) });
  }
  const msgId = msg.header?.msgId || undefined;
  let violation;
  try {
    violation = findWireViolation(bytes, 'usp.Msg');
  } catch (e) {
    throw new ProtoDecodeError('malformed', `Msg is not valid protobuf: ${errText(e)}`, { cause: e, msgId });
  }
  if (violation !== undefined) {
    const kind = violation.kind === 'oneof' ? 'oneof' : 'malformed';
    throw new ProtoDecodeError(kind, `Msg ${violation.field}: ${violation.detail}`, { field: violation.field, msgId });
  }
  const { header, body } = msg;
  if (header == null) throw missing('header');
  if (!header.msgId) throw missing('header.msgId');
  if (body == null) throw missing('body', msgId);
  const msgBody = body.msgBody;
  if (msgBody === undefined) throw missing('body.msgBody', msgId);
  // Narrowed by the checks above; TypeScript cannot follow them into the generated types.
  return msg as DecodedMsg;
}

/** Msg.header (field 1, length-delimited) on the wire. */
const HEADER_TAG = (1 << 3) | 2;

/**
 * The msg_id of the complete header fields that precede the first damaged byte of a Msg
 * that does not decode as a whole; undefined when no intact header carries one.
 */
function intactHeaderMsgId(bytes: Uint8Array): string | undefined {
  const reader = protobuf.Reader.create(bytes);
  let msgId: string | undefined;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === HEADER_TAG) {
        // Repeated headers merge (protobuf rules): a later non-empty msg_id wins.
        msgId = usp.Header.decode(reader, reader.uint32()).msgId || msgId;
      } else {
        reader.skipType(tag & 7);
      }
    }
  } catch {
    // The damage starts here; the headers read before it stand.
    return msgId;
  }
  return msgId;
}

function missing(field: string, msgId?: string): ProtoDecodeError {
  return new ProtoDecodeError('missing', `Msg has no ${field}`, { field, msgId });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Msg.body (2) and Body.request (1), both length-delimited. */
const BODY_TAG = (2 << 3) | 2;
const REQUEST_TAG = (1 << 3) | 2;

/**
 * The wire field number of the first member present in body.request of an encoded Msg, known
 * or not; undefined when the request is empty or the bytes do not get that far. A decoded
 * request with no known member but a field here carries a message type from a newer USP
 * version (R-MSG.1: answer 7001), while an empty one breaks the oneof rule (R-ENC.3: 7004).
 */
export function requestTypeField(bytes: Uint8Array): number | undefined {
  try {
    const reader = protobuf.Reader.create(bytes);
    for (const tag of [BODY_TAG, REQUEST_TAG]) {
      let end: number | undefined;
      while (reader.pos < reader.len) {
        const t = reader.uint32();
        if (t === tag) {
          end = reader.uint32() + reader.pos;
          break;
        }
        reader.skipType(t & 7);
      }
      if (end === undefined) return undefined;
      // Narrow the reader to the embedded message.
      reader.len = Math.min(end, reader.len);
    }
    return reader.pos < reader.len ? reader.uint32() >>> 3 : undefined;
  } catch {
    // Damaged bytes: decodeMsg has already said what is wrong with them.
    return undefined;
  }
}

/** Which request member is set, or undefined (unknown or newer message type, R-MSG.1). */
export function requestKind(request: Request): RequestKind | undefined {
  return REQUEST_KINDS.find((k) => request[k] != null);
}

/** Which response member is set, or undefined. */
export function responseKind(response: Response): ResponseKind | undefined {
  return RESPONSE_KINDS.find((k) => response[k] != null);
}

/** The header msg_type that matches a body (TR-369 R-MSG.7, R-MSG.10). */
export function msgTypeForBody(body: Body): MsgType | undefined {
  if (body.request != null) {
    const kind = requestKind(body.request);
    return kind === undefined ? undefined : REQUEST_MSG_TYPE[kind];
  }
  if (body.response != null) {
    const kind = responseKind(body.response);
    return kind === undefined ? undefined : RESPONSE_MSG_TYPE[kind];
  }
  return body.error != null ? MsgType.ERROR : undefined;
}

/**
 * A request Msg, e.g. `buildRequest(id, { notify: {...} })`; msg_type follows the member.
 * Throws RangeError when no request member is set (a programming error).
 */
export function buildRequest(msgId: string, request: Request): Msg {
  const kind = requestKind(request);
  if (kind === undefined) throw new RangeError('buildRequest: no request member is set');
  return {
    header: { msgId, msgType: REQUEST_MSG_TYPE[kind] },
    body: { msgBody: 'request', request },
  };
}

/**
 * A response Msg for request `msgId` (R-MSG.9), e.g. `buildResponse(id, { getResp })`.
 * Throws RangeError when no response member is set (a programming error).
 */
export function buildResponse(msgId: string, response: Response): Msg {
  const kind = responseKind(response);
  if (kind === undefined) throw new RangeError('buildResponse: no response member is set');
  return {
    header: { msgId, msgType: RESPONSE_MSG_TYPE[kind] },
    body: { msgBody: 'response', response },
  };
}

/**
 * A USP Error message answering request `msgId` (TR-369 §The Error Message, R-MSG.9).
 * `paramErrs` use full paths (unlike the relative names in per-object ParameterErrors).
 */
export function buildError(msgId: string, errCode: number, errMsg: string, paramErrs: readonly ParamError[] = []): Msg {
  return {
    header: { msgId, msgType: MsgType.ERROR },
    body: { msgBody: 'error', error: { errCode, errMsg, paramErrs: [...paramErrs] } },
  };
}
