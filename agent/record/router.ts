/**
 * Record ↔ Msg (TR-369 §MTP › USP Record, §E2E Message Exchange). Applies the receive-side
 * gates in order, hands the Msg to the dispatcher and wraps the reply in a Record addressed
 * back to the sender. MTPs give it bytes and send back whatever bytes it returns.
 */
import { UspErrorCode } from '../../datamodel/errors.js';
import { ProtoDecodeError, buildError, buildRecord, decodeMsg, decodeRecord, disconnectRecord, encodeMsg, encodeRecord, requestKind, requestTypeField } from '../../proto/index.js';
import type { DecodedMsg, DecodedRecord, Msg } from '../../proto/index.js';
import { SYSTEM_CLOCK } from '../clock.js';
import type { Clock } from '../clock.js';
import { LIMITS_DEFAULTS } from '../config-limits.js';
import type { RateLimitConfig } from '../config-limits.js';
import type { Dispatcher } from '../dispatch.js';
import type { Requester } from '../handlers/context.js';
import type { Logger } from '../log.js';
import { Admission } from './admission.js';

export interface RouterOptions {
  readonly endpointId: string;
  readonly dispatcher: Dispatcher;
  readonly log: Logger;
  /** Records larger than this are dropped unread; a reply larger than this becomes Error 7005. */
  readonly maxRecordBytes: number;
  /**
   * Who a controller is (its Controller row), or undefined to refuse it; called once per message,
   * before it waits for its turn. The Requester's rights must be read when used (inside the locked
   * dispatch, R-SEC.1), as transport/controllers.ts requesterFor does.
   */
  readonly requesterFor: (endpointId: string) => Requester | undefined;
  /** Per-controller rate limit and waiting queue (config `limits.rate`); default: no rate limit, 1000 waiting. */
  readonly rate?: RateLimitConfig;
  /** Time for the rate limit's token buckets; default: the system clock. */
  readonly clock?: Clock;
}

/** What the MTP knows about the peer that sent the bytes. */
export interface PeerInfo {
  /** Endpoint ID from the peer's TLS certificate (urn:bbf:usp:id:...), when it showed one. */
  readonly certEndpointId?: string;
  /** Called when the bytes are not a USP Record at all (WebSocket closes with 1003, R-WS.16). */
  readonly onUndecodable?: () => void;
}

export class RecordRouter {
  /** msg_ids being handled, per sender: a duplicate that arrives meanwhile is ignored (R-MSG.4). */
  private readonly inFlight = new Set<string>();
  private readonly admission: Admission;

  constructor(private readonly opts: RouterOptions) {
    this.admission = new Admission({ rate: opts.rate ?? LIMITS_DEFAULTS.rate, clock: opts.clock ?? SYSTEM_CLOCK, log: opts.log });
  }

  /** Handles one received Record; returns the encoded reply Record, or undefined when nothing is sent back. */
  async handle(bytes: Uint8Array, peer: PeerInfo = {}): Promise<Uint8Array | undefined> {
    const { log, endpointId } = this.opts;
    if (bytes.length > this.opts.maxRecordBytes) {
      log.warn('REC-W01', `dropped a ${bytes.length}-byte record (limit ${this.opts.maxRecordBytes})`);
      return undefined;
    }
    let rec: DecodedRecord;
    try {
      rec = decodeRecord(bytes);
    } catch (e) {
      // R-MTP.5: without a readable from_id and msg_id there is nobody to answer; R-ENC.4: discard.
      log.warn('REC-W02', 'dropped an undecodable record', e);
      peer.onUndecodable?.();
      return undefined;
    }
    if (rec.toId !== endpointId) {
      log.debug('REC-D01', `dropped a record for ${printable(rec.toId)}`); // R-E2E.1
      return undefined;
    }
    if (rec.fromId === endpointId) {
      log.warn('REC-W03', 'dropped a record that claims to come from this agent'); // R-ARC.2
      return undefined;
    }
    if (peer.certEndpointId !== undefined && peer.certEndpointId !== rec.fromId) {
      log.warn('REC-W04', `dropped a record from ${printable(rec.fromId)}: the TLS peer is ${printable(peer.certEndpointId)}`); // R-SEC.0a
      return undefined;
    }
    const reply = (msg: Msg): Uint8Array => encodeRecord(buildRecord({ toId: rec.fromId, fromId: endpointId, payload: encodeMsg(msg) }));
    switch (rec.recordType) {
      case 'sessionContext':
        // R-E2E.6a: E2E sessions are not supported; tell the controller so.
        return encodeRecord(disconnectRecord({ toId: rec.fromId, fromId: endpointId, reason: 'Session Context not supported', reasonCode: UspErrorCode.SessionContextNotAllowed }));
      case 'noSessionContext':
        break;
      default:
        log.debug('REC-D02', `${rec.recordType} record from ${printable(rec.fromId)}`);
        return undefined;
    }
    if (!/^1\.\d{1,4}$/.test(rec.version)) {
      const id = tryMsgId(rec.noSessionContext?.payload);
      log.warn('REC-W05', `record version ${printable(rec.version)} from ${printable(rec.fromId)} is not USP 1.x`);
      return id === undefined ? undefined : reply(buildError(id, UspErrorCode.InvalidRecordValue, `record version ${printable(rec.version)} is not supported; this agent speaks USP 1.4`));
    }
    let msg;
    try {
      msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
    } catch (e) {
      const id = ProtoDecodeError.is(e) ? e.msgId : undefined;
      log.warn('REC-W06', `bad message from ${printable(rec.fromId)}`, e);
      // R-ENC.5 / R-MTP.5: answer 7004 when the msg_id could be read, else stay silent.
      return id === undefined ? undefined : reply(buildError(id, UspErrorCode.InvalidArguments, (e as Error).message));
    }
    const requester = this.opts.requesterFor(rec.fromId);
    if (!requester) {
      log.warn('REC-W07', `dropped a message from ${printable(rec.fromId)}: not an enabled controller of this agent`);
      return undefined;
    }
    const key = `${rec.fromId}\u0000${msg.header.msgId}`;
    if (this.inFlight.has(key)) {
      log.debug('REC-D03', `ignored duplicate msg_id ${printable(msg.header.msgId)} from ${printable(rec.fromId)}`);
      return undefined;
    }
    const unknownType = unknownRequestType(msg, rec.noSessionContext?.payload);
    if (unknownType !== undefined) {
      // R-MSG.1: a message type this agent does not know (a newer USP version's): 7001.
      log.warn('REC-W10', `message ${printable(msg.header.msgId)} from ${printable(rec.fromId)} has an unknown request type (field ${unknownType})`);
      return reply(buildError(msg.header.msgId, UspErrorCode.MessageNotSupported, `request type ${unknownType} is not supported by this USP 1.4 agent`));
    }
    this.inFlight.add(key);
    try {
      const admitted = this.admission.submit(rec.fromId, () => this.opts.dispatcher.handle(msg, requester));
      if ('refused' in admitted) {
        // Only requests are answered (R-MSG.0); 7005 is allowed for every message (§Error Codes).
        if (msg.body.msgBody !== 'request') return undefined;
        const why = admitted.refused === 'rate' ? 'rate limit exceeded' : 'too many messages waiting';
        return reply(buildError(msg.header.msgId, UspErrorCode.ResourcesExceeded, `${why}; try again later`));
      }
      const out = await admitted.result;
      if (!out) return undefined;
      const bytes = reply(out);
      if (bytes.length <= this.opts.maxRecordBytes) return bytes;
      // A reply the controller's side would refuse by the same limit (an MQTT broker's packet
      // size, say) is replaced by an Error it can read.
      log.warn('REC-W11', `the reply to ${printable(msg.header.msgId)} from ${printable(rec.fromId)} would be ${bytes.length} bytes (limit ${this.opts.maxRecordBytes}); sent 7005 instead`);
      return reply(buildError(msg.header.msgId, UspErrorCode.ResourcesExceeded, `the response would be ${bytes.length} bytes, over this agent's ${this.opts.maxRecordBytes}-byte limit; ask for less at a time`));
    } finally {
      this.inFlight.delete(key);
    }
  }
}

/** The wire field number of a request member this agent does not know, or undefined. */
function unknownRequestType(msg: DecodedMsg, payload: Uint8Array | null | undefined): number | undefined {
  const request = msg.body.request;
  if (msg.body.msgBody !== 'request' || !request || requestKind(request) !== undefined || !payload) return undefined;
  return requestTypeField(payload);
}

/** A peer-supplied string fit for an error message and a log line: short, no control characters. */
function printable(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean;
}

/** The msg_id of a payload that may not decode fully (only the header is needed). */
function tryMsgId(payload: Uint8Array | null | undefined): string | undefined {
  if (!payload) return undefined;
  try {
    return decodeMsg(payload).header.msgId;
  } catch (e) {
    return ProtoDecodeError.is(e) ? e.msgId : undefined;
  }
}
