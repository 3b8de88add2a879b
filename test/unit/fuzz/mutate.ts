/**
 * Wire-level mutations for the fuzzer: bit flips, truncation, byte insertion and deletion,
 * splicing protobuf fields of one encoding into another, and oneofs with several members.
 */
import protobuf from 'protobufjs/minimal.js';
import type { Rng } from './gen.js';

/** One top-level protobuf field: its tag and its complete bytes (tag included). */
interface WireField {
  readonly id: number;
  readonly bytes: Uint8Array;
}

/** Splits an encoding into its top-level fields; undefined when it is not valid protobuf framing. */
export function fields(bytes: Uint8Array): WireField[] | undefined {
  const reader = protobuf.Reader.create(bytes);
  const out: WireField[] = [];
  try {
    while (reader.pos < reader.len) {
      const start = reader.pos;
      const tag = reader.uint32();
      reader.skipType(tag & 7);
      out.push({ id: tag >>> 3, bytes: bytes.subarray(start, reader.pos) });
    }
  } catch {
    return undefined;
  }
  return out;
}

const cat = (parts: readonly Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** A length-delimited field `id` holding `payload`. */
export function lenField(id: number, payload: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((id << 3) | 2).bytes(payload);
  return w.finish();
}

/** The payload of the first length-delimited top-level field `id`, or undefined. */
export function fieldPayload(bytes: Uint8Array, id: number): Uint8Array | undefined {
  const f = fields(bytes)?.find((x) => x.id === id);
  if (!f) return undefined;
  const reader = protobuf.Reader.create(f.bytes);
  if ((reader.uint32() & 7) !== 2) return undefined;
  return reader.bytes();
}

/** Byte-level damage: 1-4 edits of bit flips, insertions, deletions, or one truncation. */
export function damage(r: Rng, src: Uint8Array): Uint8Array {
  if (src.length === 0) return new Uint8Array([r.int(256)]);
  if (r.chance(0.25)) return src.slice(0, r.int(src.length));
  const b = [...src];
  for (let e = 1 + r.int(4); e > 0; e--) {
    const at = r.int(b.length);
    const k = r.next();
    if (k < 0.6) b[at] = (b[at] ?? 0) ^ (1 << r.int(8));
    else if (k < 0.8) b.splice(at, 0, r.int(256));
    else if (k < 0.9) b.splice(at, 1);
    else b[at] = r.pick([0x00, 0xff, 0x80, 0x7f]);
  }
  return new Uint8Array(b);
}

/**
 * Field splicing: the top-level fields of `a`, with some replaced, repeated, dropped or taken
 * from `b`. protobuf merges repeated singular fields and oneof members may collide.
 */
export function splice(r: Rng, a: Uint8Array, b: Uint8Array): Uint8Array {
  const fa = fields(a);
  const fb = fields(b);
  if (!fa || !fb || fa.length === 0) return damage(r, a);
  const out = [...fa];
  for (let e = 1 + r.int(3); e > 0; e--) {
    const k = r.int(4);
    if (k === 0 && fb.length) out.splice(r.int(out.length + 1), 0, r.pick(fb));
    else if (k === 1 && out.length) out.splice(r.int(out.length), 1);
    else if (k === 2 && out.length) out.push(r.pick(out));
    else if (fb.length) out[r.int(out.length)] = r.pick(fb);
  }
  return cat(out.map((f) => f.bytes));
}

/** Concatenated encodings of one message type: every field of both, so two different oneof members may be set. */
export function merge(parts: readonly Uint8Array[]): Uint8Array {
  return cat(parts);
}
