/**
 * The parsed form of a USP path (TR-369 §Architecture › Path Names, Path Grammar).
 *
 * Produced by `parsePath` in path.ts; every value is frozen. Resolution against live
 * instances happens in resolver.ts.
 */

/** A literal in a search expression: strings were quoted, numbers and booleans were not. */
export type SearchValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean };

export type SearchOperator = '==' | '!=' | '~=' | '<' | '>' | '<=' | '>=';

/** One step of a relative path inside a search expression, e.g. `Stats.ErrorsSent` or `SSIDReference+.SSID`. */
export interface RelStep {
  readonly name: string;
  /** Set when the step is followed by reference following (`+` or `#n+` / `#*+`). */
  readonly follow?: RefFollow;
}

/** Reference following: bare `+` (first item), `#n+` (n-th item, 1-based) or `#*+` (all items). */
export type RefFollow = { readonly index: 'first' } | { readonly index: number } | { readonly index: 'all' };

/** One `relpath oper value` component of a search expression; components are joined by `&&`. */
export interface SearchComponent {
  readonly path: readonly RelStep[];
  readonly op: SearchOperator;
  readonly value: SearchValue;
}

/** One segment between dots of an object path. */
export type PathSegment =
  | { readonly kind: 'name'; readonly name: string }
  /** An instance number `3`. */
  | { readonly kind: 'instance'; readonly instance: number }
  /** The wildcard `*`. */
  | { readonly kind: 'wildcard' }
  /**
   * A bracketed expression `[A=="x"&&B>1]`. Whether it is unique-key addressing or a search is
   * decided against the schema (all `==` over a complete unique-key set is addressing).
   */
  | { readonly kind: 'search'; readonly components: readonly SearchComponent[] }
  /** `{i}` (supported-data-model notation, only where `allowSupported` was passed to the parser). */
  | { readonly kind: 'supported' }
  /** A reference parameter followed to the object it names: `Interface+` or `LowerLayers#2+`. */
  | { readonly kind: 'ref'; readonly name: string; readonly follow: RefFollow };

/** What the path ends in. */
export type PathLeaf =
  | { readonly kind: 'object' }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'command'; readonly name: string }
  | { readonly kind: 'event'; readonly name: string };

export interface ParsedPath {
  /** The text as given. */
  readonly raw: string;
  /** Object segments, starting with `{kind:'name', name:'Device'}`. */
  readonly segments: readonly PathSegment[];
  readonly leaf: PathLeaf;
  /** True when any segment is a wildcard, a bracket expression or reference following. */
  readonly isSearch: boolean;
}
