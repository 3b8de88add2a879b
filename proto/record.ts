import $protobuf from 'protobufjs/minimal.js';
import { usp_record } from './generated/usp-record.js';
import { ProtoDecodeError } from './decode-error.js';
import { StompVersion } from './enums.js';
import { findWireViolation } from './wire-check.js';
import type { MqttVersion, PayloadSecurity } from './enums.js';
import type { DecodedRecord, UspRecord } from './types.js';

/** Record.version we send: the USP protocol version we implement (TR-369 §MTP). */
export const USP_RECORD_VERSION = '1.4';

/** Addressing shared by every Record we build (to_id, from_id; R-E2E.1, R-ARC.2). */
export interface RecordAddress {
  readonly toId: string;
  readonly fromId: string;
}

/** Input of {@link buildRecord}. */
export interface BuildRecordOptions extends RecordAddress {
  /** An encoded USP Msg; must not be empty (R-E2E.26). */
  readonly payload: Uint8Array;
  readonly payloadSecurity?: PayloadSecurity;
  readonly macSignature?: Uint8Array;
  readonly senderCert?: Uint8Array;
}

// Reused across calls, as in msg.ts (encode is synchronous; finish() resets the writer).
let writer = $protobuf.Writer.create();

/** Serializes a USP Record to protobuf bytes. */
export function encodeRecord(rec: UspRecord): Uint8Array {
  try {
    return usp_record.Record.encode(rec, writer).finish();
  } catch (e) {
    // A failed encode can leave forks open: start over with a fresh writer.
    writer = $protobuf.Writer.create();
    throw e;
  } finally {
    // finish() copies out but keeps the position; a balanced encode resets to 0.
    writer.reset();
  }
}

/**
 * Parses and validates a USP Record. Throws {@link ProtoDecodeError} only:
 * `malformed` for bad protobuf or an unknown enum value (R-ENC.2), `oneof` when
 * record_type has two members (R-ENC.3/4: discard), `missing` when version, to_id,
 * from_id, record_type or a no_session_context payload is absent (R-MTP.4b, R-E2E.26).
 * The payload Msg is not decoded here; use `decodeMsg` on it.
 */
export function decodeRecord(bytes: Uint8Array): DecodedRecord {
  let rec: usp_record.Record;
  try {
    rec = usp_record.Record.decode(bytes);
  } catch (e) {
    throw new ProtoDecodeError('malformed', `Record is not valid protobuf: ${errText(e)}`, { cause: e });
  }
  let violation;
  try {
    violation = findWireViolation(bytes, 'usp_record.Record');
  } catch (e) {
    throw new ProtoDecodeError('malformed', `Record is not valid protobuf: ${errText(e)}`, { cause: e });
  }
  if (violation !== undefined) {
    const kind = violation.kind === 'oneof' ? 'oneof' : 'malformed';
    throw new ProtoDecodeError(kind, `Record ${violation.field}: ${violation.detail}`, { field: violation.field });
  }
  for (const field of ['version', 'toId', 'fromId'] as const) {
    if (!rec[field]) throw missing(field);
  }
  if (rec.recordType === undefined) throw missing('recordType');
  if (rec.recordType === 'noSessionContext' && !rec.noSessionContext?.payload?.length) {
    throw missing('noSessionContext.payload');
  }
  // Narrowed by the checks above; TypeScript cannot follow them into the generated types.
  return rec as DecodedRecord;
}

function missing(field: string): ProtoDecodeError {
  return new ProtoDecodeError('missing', `Record has no ${field}`, { field });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A no_session_context Record carrying one encoded Msg (TR-369 §MTP, R-E2E.26). */
export function buildRecord(opts: BuildRecordOptions): UspRecord {
  return {
    version: USP_RECORD_VERSION,
    toId: opts.toId,
    fromId: opts.fromId,
    ...(opts.payloadSecurity === undefined ? {} : { payloadSecurity: opts.payloadSecurity }),
    ...(opts.macSignature === undefined ? {} : { macSignature: opts.macSignature }),
    ...(opts.senderCert === undefined ? {} : { senderCert: opts.senderCert }),
    recordType: 'noSessionContext',
    noSessionContext: { payload: opts.payload },
  };
}

/** MQTTConnectRecord, sent first after CONNACK (R-MTP.6); the topic is our exact reply topic. */
export function mqttConnectRecord(opts: RecordAddress & { readonly version: MqttVersion; readonly subscribedTopic: string }): UspRecord {
  return {
    ...envelope(opts),
    recordType: 'mqttConnect',
    mqttConnect: { version: opts.version, subscribedTopic: opts.subscribedTopic },
  };
}

/** STOMPConnectRecord, sent first after CONNECTED (R-MTP.6). */
export function stompConnectRecord(opts: RecordAddress & { readonly subscribedDestination: string; readonly version?: StompVersion }): UspRecord {
  return {
    ...envelope(opts),
    recordType: 'stompConnect',
    stompConnect: { version: opts.version ?? StompVersion.V1_2, subscribedDestination: opts.subscribedDestination },
  };
}

/** WebSocketConnectRecord, sent first on a new WebSocket connection (R-MTP.6). */
export function websocketConnectRecord(opts: RecordAddress): UspRecord {
  return { ...envelope(opts), recordType: 'websocketConnect', websocketConnect: {} };
}

/** UDSConnectRecord, sent first after the UNIX domain socket handshake (R-MTP.6). */
export function udsConnectRecord(opts: RecordAddress): UspRecord {
  return { ...envelope(opts), recordType: 'udsConnect', udsConnect: {} };
}

/**
 * DisconnectRecord, sent before dropping an MTP or to refuse a session context
 * (R-MTP.7, R-MTP.9; reason_code e.g. 7105/7106 per R-E2E.6a).
 */
export function disconnectRecord(opts: RecordAddress & { readonly reason?: string; readonly reasonCode?: number }): UspRecord {
  return {
    ...envelope(opts),
    recordType: 'disconnect',
    disconnect: { reason: opts.reason ?? '', reasonCode: opts.reasonCode ?? 0 },
  };
}

function envelope(opts: RecordAddress): { version: string; toId: string; fromId: string } {
  return { version: USP_RECORD_VERSION, toId: opts.toId, fromId: opts.fromId };
}
