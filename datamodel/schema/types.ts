/**
 * Shapes of the supported data-model schema (TR-106 / TR-181 facts), as generated into
 * `tr181.json` by `scripts/gen-schema.mjs` and as vendors declare them through the Registry.
 */

/** TR-106 primitive types. */
export type BaseType =
  | 'string'
  | 'boolean'
  | 'int'
  | 'unsignedInt'
  | 'long'
  | 'unsignedLong'
  | 'decimal'
  | 'dateTime'
  | 'base64'
  | 'hexBinary';

export type ParamAccess = 'readOnly' | 'readWrite' | 'writeOnceReadOnly';
export type ObjectAccess = 'readOnly' | 'readWrite';

export interface SizeFacet {
  readonly minLength?: number;
  readonly maxLength?: number;
}
export interface RangeFacet {
  /** Numbers for int/unsignedInt/decimal; strings are allowed for 64-bit bounds. */
  readonly min?: number | string;
  readonly max?: number | string;
  readonly step?: number;
}
export interface ListFacet {
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Limit on the whole comma-separated string. */
  readonly maxLength?: number;
  readonly nestedBrackets?: string;
}
export interface EnumValue {
  readonly value: string;
  readonly optional?: boolean;
  readonly status?: string;
}
export interface PathRefFacet {
  readonly refType?: 'strong' | 'weak';
  readonly targetParent?: string;
  readonly targetType?: 'any' | 'parameter' | 'object' | 'single' | 'table' | 'row';
  readonly targetDataType?: string;
}
export interface DefaultValue {
  readonly type: 'object' | 'factory' | 'implementation' | 'parameter';
  readonly value: string;
}

/** The facets of a value: shared by parameters and command/event arguments. */
export interface ValueFacets {
  readonly type: BaseType;
  /** Named TR-106 type it came from (Alias, IPAddress, ...), informational. */
  readonly dataType?: string;
  readonly list?: ListFacet;
  readonly size?: SizeFacet;
  readonly range?: readonly RangeFacet[];
  readonly enumeration?: readonly EnumValue[];
  readonly pattern?: readonly string[];
  readonly pathRef?: PathRefFacet;
  readonly units?: string;
}

export interface ParamDef extends ValueFacets {
  readonly name: string;
  readonly access: ParamAccess;
  readonly default?: DefaultValue;
  /** Read back as "" by controllers without a SecuredRoles role. */
  readonly secured?: boolean;
  readonly hidden?: boolean;
  /** `canDeny` means ValueChange may be refused; `denied` that it never fires. */
  readonly activeNotify?: string;
  readonly version?: string;
  readonly status?: string;
}

/** A command or event argument. */
export interface ArgDef extends ValueFacets {
  readonly name: string;
  readonly mandatory?: boolean;
  readonly default?: DefaultValue;
  readonly secured?: boolean;
}

/** An argument object such as `TimeWindow.{i}.` in Activate(). */
export interface ArgObjectDef {
  readonly path: string;
  readonly minEntries?: number;
  readonly maxEntries?: number | 'unbounded';
  readonly params: readonly ArgDef[];
}

export interface ArgListDef {
  readonly params: readonly ArgDef[];
  readonly objects?: readonly ArgObjectDef[];
}

export interface CommandDef {
  /** Name with the trailing `()`, e.g. `Reboot()`. */
  readonly name: string;
  readonly async: boolean;
  readonly input?: ArgListDef;
  readonly output?: ArgListDef;
  readonly version?: string;
}

export interface EventDef {
  /** Name with the trailing `!`, e.g. `Boot!`. */
  readonly name: string;
  readonly args: readonly ArgDef[];
  readonly argObjects?: readonly ArgObjectDef[];
  readonly version?: string;
}

export interface UniqueKeyDef {
  readonly functional: boolean;
  readonly params: readonly string[];
}

export interface ObjectDef {
  /** Supported path, e.g. `Device.LocalAgent.Controller.{i}.`. */
  readonly path: string;
  readonly access: ObjectAccess;
  readonly multiInstance: boolean;
  readonly minEntries: number;
  readonly maxEntries: number | 'unbounded';
  readonly numEntriesParameter?: string;
  readonly enableParameter?: string;
  readonly uniqueKeys?: readonly UniqueKeyDef[];
  readonly params: readonly ParamDef[];
  readonly commands: readonly CommandDef[];
  readonly events: readonly EventDef[];
  readonly version?: string;
  readonly status?: string;
}

/** The generated schema file. */
export interface SchemaFile {
  readonly source: { readonly spec: string; readonly model: string; readonly generatedFrom: string };
  readonly objects: readonly ObjectDef[];
}
