/**
 * What a requester may do with the data model: the ControllerTrust permissions (TR-181
 * Device.LocalAgent.ControllerTrust.Role.{i}.Permission.{i}) compiled for one controller.
 * Each permission string is 4 characters in the order `rwxn`, `-` for a missing one
 * (USP-NOTES §11); they become the bits below.
 */

export const READ = 1;
export const WRITE = 2;
export const EXEC = 4;
export const NOTIFY = 8;

/**
 * Where each of a Permission's four strings sits in a packed word (4 bits each):
 * - `Param`: Get value (r), Set/Add value (w), ValueChange (n);
 * - `Obj`: resolve objects in Get and GetSupportedDM (r), Add rows (w), ObjectCreation (n);
 * - `Inst` (InstantiatedObj): GetInstances (r), Delete (w), ObjectDeletion (n);
 * - `CmdEvent` (CommandEvent): GetSupportedDM metadata (r), Operate (x), OperationComplete and Event (n).
 */
export const PermKind = { Param: 0, Obj: 4, Inst: 8, CmdEvent: 12 } as const;
export type PermKind = (typeof PermKind)[keyof typeof PermKind];

/**
 * The permission checker a handler or the notifier asks. Paths may be instance paths
 * (`Device.LocalAgent.Controller.2.`) or supported paths (`Device.LocalAgent.Controller.{i}.`,
 * as GetSupportedDM sees them). Every method returns the granted bits (READ | WRITE | EXEC | NOTIFY).
 */
export interface Access {
  /** True for a requester with every right (the local admin socket). Lets hot loops skip checks. */
  readonly full: boolean;
  /** Parameter `name` of the object `objPath`. */
  param(objPath: string, name: string): number;
  /**
   * The bits every parameter of `objPath` has when no permission tells them apart (no Target
   * names one of them), else undefined: lets Get decide a whole object with one lookup.
   */
  paramsUniform(objPath: string): number | undefined;
  /** The object `objPath` itself (a table path for Add and ObjectCreation). */
  obj(objPath: string): number;
  /** The instance `rowPath` (GetInstances, Delete, ObjectDeletion). */
  instance(rowPath: string): number;
  /** Command `name` (with its `()`) or event `name` (with its `!`) of `objPath`. */
  cmdEvent(objPath: string, name: string): number;
}

const ALL = READ | WRITE | EXEC | NOTIFY;

/** Every right on everything: the admin CLI and in-process callers. */
export const FULL_ACCESS: Access = {
  full: true,
  param: () => ALL,
  paramsUniform: () => ALL,
  obj: () => ALL,
  instance: () => ALL,
  cmdEvent: () => ALL,
};

/** No right at all (a controller whose roles grant nothing). */
export const NO_ACCESS: Access = {
  full: false,
  param: () => 0,
  paramsUniform: () => 0,
  obj: () => 0,
  instance: () => 0,
  cmdEvent: () => 0,
};

/** `r-xn` → READ | EXEC | NOTIFY; anything but the letter in its place counts as missing. */
export function parseBits(s: string): number {
  return (s[0] === 'r' ? READ : 0) | (s[1] === 'w' ? WRITE : 0) | (s[2] === 'x' ? EXEC : 0) | (s[3] === 'n' ? NOTIFY : 0);
}

/** The four strings of one Permission row packed into one number (4 bits each, at PermKind offsets). */
export function packPermission(param: string, obj: string, inst: string, cmdEvent: string): number {
  return parseBits(param) | (parseBits(obj) << PermKind.Obj) | (parseBits(inst) << PermKind.Inst) | (parseBits(cmdEvent) << PermKind.CmdEvent);
}

/** The bits of one kind out of a packed word. */
export function bitsOf(packed: number, kind: PermKind): number {
  return (packed >> kind) & ALL;
}
