import protobuf from 'protobufjs/minimal.js';
import type { Reader } from 'protobufjs/minimal.js';
import { LAYOUT } from './generated/usp-layout.js';

/** A schema rule broken on the wire that protobufjs decoding does not report. */
export interface WireViolation {
  readonly kind: 'oneof' | 'enum';
  /** Dotted camelCase path, e.g. `body.request.reqType` or `header.msgType`. */
  readonly field: string;
  readonly detail: string;
}

/** Oneof members seen in one logical message instance. */
interface ScanState {
  readonly oneofs: Map<string, number>;
  /** Non-repeated message fields: every occurrence merges into the same instance. */
  readonly children: Map<number, ScanState>;
}

function newState(): ScanState {
  return { oneofs: new Map(), children: new Map() };
}

/**
 * Walks encoded bytes of `typeName` and reports the first oneof with two different
 * members present (TR-369 R-ENC.3) or enum value outside its enum (R-ENC.2).
 *
 * Why a wire scan: protobufjs' generated decoder assigns the oneof virtual property for
 * each member it reads, and that setter deletes the other members, so after decoding
 * the earlier member is gone without trace. Enum fields are read as plain int32.
 *
 * Fields are treated exactly as the generated decoder treats them: unknown numbers and
 * known numbers with a foreign wire type are skipped as unknown fields; repeated
 * occurrences of a singular message field merge (protobuf semantics), so their oneofs
 * are tracked together. Call only on bytes the generated decoder accepted; a structural
 * fault here throws the Reader's own error.
 */
export function findWireViolation(bytes: Uint8Array, typeName: string): WireViolation | undefined {
  const reader = protobuf.Reader.create(bytes);
  return scan(reader, reader.len, typeName, newState(), '');
}

function scan(reader: Reader, end: number, typeName: string, state: ScanState, path: string): WireViolation | undefined {
  const fields = LAYOUT[typeName] ?? {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const field = fields[id];
    if (field === undefined || field.wire !== wire) {
      reader.skipType(wire);
      continue;
    }
    const where = path === '' ? field.name : `${path}.${field.name}`;

    if (field.oneof !== undefined) {
      const prev = state.oneofs.get(field.oneof);
      if (prev !== undefined && prev !== id) {
        const prevName = fields[prev]?.name ?? String(prev);
        return {
          kind: 'oneof',
          field: path === '' ? field.oneof : `${path}.${field.oneof}`,
          detail: `oneof has both ${prevName} and ${field.name}`,
        };
      }
      state.oneofs.set(field.oneof, id);
    }

    if (field.msg !== undefined) {
      const length = reader.uint32();
      const subEnd = reader.pos + length;
      if (subEnd > end) throw new RangeError(`${where}: length ${length} runs past its parent`);
      let child = field.repeated === true ? undefined : state.children.get(id);
      if (child === undefined) {
        child = newState();
        if (field.repeated !== true) state.children.set(id, child);
      }
      const inner = scan(reader, subEnd, field.msg, child, where);
      if (inner !== undefined) return inner;
      if (reader.pos !== subEnd) throw new RangeError(`${where}: embedded message overruns its length`);
    } else if (field.enumValues !== undefined) {
      const value = reader.int32();
      if (!field.enumValues.includes(value)) {
        return { kind: 'enum', field: where, detail: `unknown enum value ${value}` };
      }
    } else {
      reader.skipType(wire);
    }
  }
  return undefined;
}
