/**
 * The protocol trace (`usp-agent start --trace`, config `log.trace`): every USP Record that
 * enters or leaves through an MTP, printed with its direction, the MTP, the peer Endpoint ID and
 * the decoded Msg as JSON, as lab testers know it from the C reference agent's `-p`. The
 * TransportManager calls it at the MTP boundary, so it sees exactly the bytes on the wire,
 * including records the router rejects and connect records.
 */
import { decodeMsg, decodeRecord, describeMsg, msgToJson, recordToJson } from '../../proto/index.js';
import type { DecodedRecord, JsonObject } from '../../proto/index.js';
import type { MtpAddress } from '../mtp/mtp.js';

export type TraceDirection = 'in' | 'out';

export interface TraceInfo {
  /** The MTP's id, e.g. `ws-server-1`. */
  readonly mtp: string;
  /** Where it came from or goes to on that MTP (topic, destination, WebSocket peer). */
  readonly address?: MtpAddress | undefined;
}

/** Called with each Record's bytes as they enter or leave; never throws. */
export type RecordTrace = (dir: TraceDirection, info: TraceInfo, bytes: Uint8Array) => void;

export interface RecordTraceOptions {
  readonly format: 'text' | 'json';
  /** Where entries go; stderr (with the log) by default. */
  readonly write?: (text: string) => void;
  readonly now?: () => Date;
}

function addressText(a: MtpAddress | undefined): string | undefined {
  if (!a) return undefined;
  if (a.kind === 'mqtt') return `MQTT topic ${a.topic}`;
  if (a.kind === 'stomp') return `STOMP destination ${a.destination}`;
  return 'WebSocket';
}

interface Decoded {
  readonly from: string;
  readonly to: string;
  /** The record without its payload when that is shown decoded as `msg`. */
  readonly record: JsonObject;
  readonly msg?: JsonObject;
  readonly summary: string;
}

function decode(bytes: Uint8Array): Decoded | { readonly error: string } {
  let rec: DecodedRecord;
  try {
    rec = decodeRecord(bytes);
  } catch (e) {
    return { error: `undecodable record (${bytes.length} bytes): ${(e as Error).message}` };
  }
  const record = recordToJson(rec);
  const base = { from: rec.fromId ?? '', to: rec.toId ?? '' };
  const payload = rec.recordType === 'noSessionContext' ? rec.noSessionContext?.payload : undefined;
  if (!payload) return { ...base, record, summary: `${rec.recordType} record` };
  const envelope = { ...record };
  delete envelope.noSessionContext;
  try {
    const msg = decodeMsg(payload);
    return { ...base, record: envelope, msg: msgToJson(msg), summary: describeMsg(msg) };
  } catch (e) {
    return { ...base, record, summary: `undecodable payload (${payload.length} bytes): ${(e as Error).message}` };
  }
}

export function createRecordTrace(opts: RecordTraceOptions): RecordTrace {
  const write = opts.write ?? ((text: string) => process.stderr.write(text + '\n'));
  const now = opts.now ?? (() => new Date());
  return (dir, info, bytes) => {
    try {
      const d = decode(bytes);
      const address = addressText(info.address);
      const time = now().toISOString();
      if (opts.format === 'json') {
        write(JSON.stringify({ time, level: 'trace', id: 'USP-T01', dir, mtp: info.mtp, ...(address && { address }), bytes: bytes.length, ...d }));
        return;
      }
      const peer = 'error' in d ? '' : dir === 'in' ? ` from ${d.from}` : ` to ${d.to}`;
      const head = `${time} TRACE USP-T01 ${dir.padEnd(3)} ${info.mtp}${peer}${address ? ` (${address})` : ''}: ${'error' in d ? d.error : d.summary}`;
      write('error' in d ? head : `${head}\n${JSON.stringify(d.msg ?? d.record, null, 2)}`);
    } catch {
      // A trace must never break message handling.
    }
  };
}
