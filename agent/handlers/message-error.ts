/**
 * A whole-message failure that carries per-parameter details: becomes a USP Error message
 * whose param_errs name FULL paths (§Using Allow Partial and Required Parameters; pitfall 5).
 */
import { UspError } from '../../datamodel/errors.js';
import type { UspErrorCode } from '../../datamodel/errors.js';

export interface ParamErr {
  readonly paramPath: string;
  readonly errCode: number;
  readonly errMsg: string;
}

export class MessageError extends UspError {
  readonly paramErrs: readonly ParamErr[];

  /** With no details, the requested path itself is reported as the failing one. */
  constructor(code: UspErrorCode | number, message: string, paramErrs: readonly ParamErr[], requestedPath: string) {
    super(code, message, requestedPath);
    this.paramErrs = paramErrs.length > 0 ? paramErrs : [{ paramPath: requestedPath, errCode: code, errMsg: message }];
  }
}
