/**
 * Software Module Management fault codes (TR-181 Device.SoftwareModules.DUStateChange!
 * Fault.FaultCode; TR-369 §Error Codes). They travel as UspErrors, so a failed InstallDU(),
 * Update() or Uninstall() reports the same code in its OperationComplete and its DUStateChange!.
 */
import { UspError } from '../../datamodel/errors.js';
import type { UspErrorCode } from '../../datamodel/errors.js';

export const SmmFault = {
  /** The device cannot complete the operation for some other reason. */
  RequestDenied: 7002,
  /** The URL carries a userinfo component (credentials go in Username/Password). */
  InvalidArguments: 7004,
  /** Server not reachable, or the request timed out. */
  ServerUnreachable: 7033,
  /** The server failed the security checks (TLS). */
  ServerInsecure: 7034,
  /** The file the server returned is corrupt (checksum, archive, manifest). */
  CorruptData: 7035,
  /** No such, or no usable, Execution Environment. */
  UnknownExecEnv: 7223,
  /** The DU does not fit the Execution Environment asked for. */
  ExecEnvMismatch: 7225,
  /** The DU is already installed on that Execution Environment. */
  DuplicateDU: 7226,
  /** Disk, memory or size limits exceeded. */
  ResourcesExceeded: 7227,
  /** The operation conflicts with the DU state machine (e.g. one already in progress). */
  InvalidDUState: 7229,
} as const;
export type SmmFaultCode = (typeof SmmFault)[keyof typeof SmmFault];

/** A DU operation failure with its TR-181 fault code. */
export class SmmFaultError extends UspError {
  constructor(
    readonly fault: SmmFaultCode,
    message: string,
  ) {
    super(fault as UspErrorCode, message);
    this.name = 'SmmFaultError';
  }
}

/** The fault code and text for any error (unknown failures are 7002, TR-181 "unknown reason"). */
export function faultOf(e: unknown): { code: number; text: string } {
  if (e instanceof UspError) return { code: e.code, text: e.message.slice(0, 256) };
  return { code: SmmFault.RequestDenied, text: (e instanceof Error ? e.message : String(e)).slice(0, 256) };
}
