/**
 * Why a USP Record or Msg was rejected by the decoder.
 * - `malformed`: not valid protobuf for the schema (bad bytes, truncation, invalid UTF-8),
 *   or an unknown value in a known enum field (TR-369 R-ENC.2).
 * - `oneof`: a oneof carries more than one member on the wire (R-ENC.3).
 * - `missing`: a field the spec makes mandatory is absent or empty (R-MTP.4b, R-MSG.6-8).
 *
 * proto/ does not know USP error codes; callers map kinds to them (e.g. a Record error
 * 7100/7104 per R-MTP.5 and R-ENC.4, or an Error message 7004 per R-ENC.5).
 */
export type ProtoDecodeErrorKind = 'malformed' | 'oneof' | 'missing';

/** Options for {@link ProtoDecodeError}. */
export interface ProtoDecodeErrorOptions {
  /** Dotted field path of the offending field, e.g. `body.request.reqType`. */
  readonly field?: string;
  /** Header msg_id when it could be read, so a Msg-level error can still be answered (R-ENC.5). */
  readonly msgId?: string;
  readonly cause?: unknown;
}

/** The only error thrown by `decodeRecord` and `decodeMsg`. */
export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
  readonly kind: ProtoDecodeErrorKind;
  readonly field: string | undefined;
  readonly msgId: string | undefined;

  constructor(kind: ProtoDecodeErrorKind, message: string, options: ProtoDecodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.field = options.field;
    this.msgId = options.msgId;
  }

  /** Narrows `e` to a ProtoDecodeError, optionally of one of `kinds`. */
  static is(e: unknown, ...kinds: ProtoDecodeErrorKind[]): e is ProtoDecodeError {
    return e instanceof ProtoDecodeError && (kinds.length === 0 || kinds.includes(e.kind));
  }
}
