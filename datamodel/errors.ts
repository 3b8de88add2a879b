/**
 * TR-369 error codes (§Error Codes) and the typed errors that carry them.
 *
 * Everything in the data model and the handlers throws a `UspError` subclass; the dispatch
 * boundary (agent/dispatch.ts) is the single place that turns them into USP Error messages or
 * per-path failures.
 */

export enum UspErrorCode {
  /** General failure of the whole message. */
  MessageFailed = 7000,
  /** The message type is not supported. */
  MessageNotSupported = 7001,
  /** The request was denied, no reason given. */
  RequestDenied = 7002,
  /** Something went wrong inside the agent. */
  InternalError = 7003,
  /** Invalid arguments, including oneof violations (R-ENC.5). */
  InvalidArguments = 7004,
  /** A resource limit would be exceeded. */
  ResourcesExceeded = 7005,
  /** The controller lacks the permission. */
  PermissionDenied = 7006,
  /** The change would leave the device in an invalid configuration. */
  InvalidConfiguration = 7007,
  /** The path does not follow the path grammar. */
  InvalidPathSyntax = 7008,
  /** A Set could not be applied to a parameter. */
  ParameterActionFailed = 7009,
  /** The parameter does not exist in the instantiated data model. */
  UnsupportedParameter = 7010,
  /** The value cannot be parsed as the parameter's type. */
  InvalidType = 7011,
  /** The value is of the right type but out of range or not an allowed value. */
  InvalidValue = 7012,
  /** The parameter is not writable. */
  ParameterReadOnly = 7013,
  /** The value conflicts with another parameter. */
  ValueConflict = 7014,
  /** Generic failure creating, updating or deleting an object. */
  OperationError = 7015,
  /** The object does not exist in the instantiated data model. */
  ObjectDoesNotExist = 7016,
  /** The object could not be created. */
  ObjectNotCreated = 7017,
  /** The object is not a multi-instance object (table). */
  NotATable = 7018,
  /** The object is not creatable by controllers. */
  ObjectNotCreatable = 7019,
  /** The object could not be updated. */
  ObjectNotUpdated = 7020,
  /** A parameter marked required failed (details in param_errs). */
  RequiredParameterFailed = 7021,
  /** The command failed. */
  CommandFailure = 7022,
  /** The command was canceled through Request.{i}.Cancel(). */
  CommandCanceled = 7023,
  /** The object could not be deleted. */
  DeleteFailure = 7024,
  /** An object with the same unique key already exists. */
  DuplicateUniqueKey = 7025,
  /** The path is not part of the supported data model. */
  InvalidPath = 7026,
  /** Invalid or missing mandatory command arguments. */
  InvalidCommandArguments = 7027,
  /** Register failed. */
  RegisterFailure = 7028,
  /** The path is already registered. */
  AlreadyInUse = 7029,
  /** Deregister failed. */
  DeregisterFailure = 7030,
  /** The path is registered by another endpoint. */
  PathAlreadyRegistered = 7031,
  /** The Record could not be parsed. */
  RecordNotParsed = 7100,
  /** A secure session is required. */
  SecureSessionRequired = 7101,
  /** Secure sessions are not supported. */
  SecureSessionNotSupported = 7102,
  /** Segmentation and reassembly are not supported. */
  SegmentationNotSupported = 7103,
  /** A Record field has an invalid value. */
  InvalidRecordValue = 7104,
  /** The session context was terminated. */
  SessionContextTerminated = 7105,
  /** Session contexts are not allowed or not supported. */
  SessionContextNotAllowed = 7106,
}

/** Base class for every error that maps onto a TR-369 error code. */
export class UspError extends Error {
  readonly code: UspErrorCode;
  /** Full path of the item the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(code: UspErrorCode, message: string, path?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.path = path;
  }

  /** Narrow `e` to a UspError, optionally one with one of `codes`. */
  static is(e: unknown, ...codes: UspErrorCode[]): e is UspError {
    return e instanceof UspError && (codes.length === 0 || codes.includes(e.code));
  }

  /** A copy of this error with `path` filled in (errors raised deep down often lack it). */
  withPath(path: string): UspError {
    if (this.path === path) return this;
    const copy = new UspError(this.code, this.message, path);
    copy.name = this.name;
    return copy;
  }
}

function codedError(code: UspErrorCode, name: string): new (message: string, path?: string) => UspError {
  const cls = class extends UspError {
    constructor(message: string, path?: string) {
      super(code, message, path);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

export const InvalidPathSyntaxError = codedError(UspErrorCode.InvalidPathSyntax, 'InvalidPathSyntaxError');
export const InvalidPathError = codedError(UspErrorCode.InvalidPath, 'InvalidPathError');
export const UnsupportedParamError = codedError(UspErrorCode.UnsupportedParameter, 'UnsupportedParamError');
export const InvalidTypeError = codedError(UspErrorCode.InvalidType, 'InvalidTypeError');
export const InvalidValueError = codedError(UspErrorCode.InvalidValue, 'InvalidValueError');
export const ParamReadOnlyError = codedError(UspErrorCode.ParameterReadOnly, 'ParamReadOnlyError');
export const ObjectNotFoundError = codedError(UspErrorCode.ObjectDoesNotExist, 'ObjectNotFoundError');
export const NotATableError = codedError(UspErrorCode.NotATable, 'NotATableError');
export const NotCreatableError = codedError(UspErrorCode.ObjectNotCreatable, 'NotCreatableError');
export const NotDeletableError = codedError(UspErrorCode.DeleteFailure, 'NotDeletableError');
export const UniqueKeyConflictError = codedError(UspErrorCode.DuplicateUniqueKey, 'UniqueKeyConflictError');
export const PermissionDeniedError = codedError(UspErrorCode.PermissionDenied, 'PermissionDeniedError');
export const CommandFailureError = codedError(UspErrorCode.CommandFailure, 'CommandFailureError');
export const InvalidCommandArgsError = codedError(UspErrorCode.InvalidCommandArguments, 'InvalidCommandArgsError');
export const ResourcesExceededError = codedError(UspErrorCode.ResourcesExceeded, 'ResourcesExceededError');
export const InvalidArgumentsError = codedError(UspErrorCode.InvalidArguments, 'InvalidArgumentsError');
export const InternalError = codedError(UspErrorCode.InternalError, 'InternalError');
export const ValueConflictError = codedError(UspErrorCode.ValueConflict, 'ValueConflictError');
export const InvalidConfigurationError = codedError(UspErrorCode.InvalidConfiguration, 'InvalidConfigurationError');

/** Record-level errors (7100-7106, §MTP › USP Record Errors). */
export class RecordError extends UspError {}
