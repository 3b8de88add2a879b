/**
 * Typed ordering of two single values of a TR-106 base type, for search expressions
 * (TR-369 §Searching: `0123` == `123`, `1` == `true`). Internal to types.ts.
 */
import type { BaseType } from './schema/types.js';
import { InternalError } from './errors.js';
import { canonicalDateTime, compareCanonicalDateTime } from './types-datetime.js';
import {
  base64DecodedLength,
  canonicalDecimal,
  compareDecimal,
  hexBinaryLength,
  parseBoolean,
  parseInt32,
  parseInt64,
} from './types-scalar.js';

/**
 * -1, 0 or 1. Only the type is checked (no facets); a side that does not parse throws the parser's
 * 7011/7012. Strings compare by UTF-16 code units, base64 and hexBinary by bytes.
 */
export function compareItems(type: BaseType, a: string, b: string): number {
  switch (type) {
    case 'string':
      return a < b ? -1 : a > b ? 1 : 0;
    case 'boolean':
      return Number(parseBoolean(a)) - Number(parseBoolean(b));
    case 'int':
    case 'unsignedInt':
      return Math.sign(parseInt32(a, type) - parseInt32(b, type));
    case 'long':
    case 'unsignedLong': {
      const x = parseInt64(a, type);
      const y = parseInt64(b, type);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'decimal':
      return compareDecimal(canonicalDecimal(a), canonicalDecimal(b));
    case 'dateTime':
      return compareCanonicalDateTime(canonicalDateTime(a), canonicalDateTime(b));
    case 'base64':
      base64DecodedLength(a);
      base64DecodedLength(b);
      return Buffer.compare(Buffer.from(a, 'base64'), Buffer.from(b, 'base64'));
    case 'hexBinary': {
      hexBinaryLength(a);
      hexBinaryLength(b);
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      throw new InternalError(`unknown TR-106 type ${String(type satisfies never)}`);
  }
}
