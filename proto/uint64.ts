// uint64 fields (SessionContextRecord ids) decode as protobufjs Long objects or numbers.
// Session ids and sequence numbers may approach 2^64 (TR-369 R-E2E.8/9), beyond what a
// JS number holds exactly, so callers should work with bigint.
import protobuf from 'protobufjs/minimal.js';
import type { Long } from 'protobufjs/minimal.js';

const TWO_64 = 1n << 64n;

/** A decoded uint64 field as an exact bigint; null/undefined (absent) is 0. */
export function uint64ToBigInt(value: number | Long | null | undefined): bigint {
  if (value == null) return 0n;
  if (typeof value === 'number') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

/** A bigint in 0..2^64-1 as a value for a uint64 field. Throws RangeError outside that range. */
export function uint64FromBigInt(value: bigint): Long {
  if (value < 0n || value >= TWO_64) throw new RangeError(`uint64 out of range: ${value}`);
  const low = Number(value & 0xffffffffn);
  const high = Number(value >> 32n);
  return new protobuf.util.LongBits(low >>> 0, high >>> 0).toLong(true);
}
