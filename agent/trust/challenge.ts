/**
 * The challenge flow (TR-181 ControllerTrust.RequestChallenge() / ChallengeResponse(),
 * Challenge.{i}; USP-NOTES §11): a controller asks for a challenge, a third party gives it the
 * answer, and a right answer appends the Challenge row's roles to the controller's AssignedRole
 * (so it no longer falls back to UntrustedRole).
 * - At most one outstanding request per controller; another ChallengeRef is refused (7002) until
 *   it is answered or expires (RequestExpiration, default 900 s, 0 = never).
 * - Wrong answers count per Challenge row; once Retries (at least 1) consecutive ones failed,
 *   RequestChallenge and ChallengeResponse against that row fail with 7002 for LockoutPeriod
 *   seconds, at least MIN_LOCKOUT_S (a LockoutPeriod of 0 would otherwise allow unlimited
 *   guesses), and every outstanding ChallengeID of that row is void: guessing again needs a new
 *   RequestChallenge after the lockout (R-SEC.16/17).
 * - Answers are compared in constant time. State lives in memory only: a restart forgets
 *   outstanding requests (R-SEC.21).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { UspError, UspErrorCode } from '../../datamodel/errors.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Clock } from '../clock.js';
import { rolePath, TRUST_PATH } from './roles.js';

const DEFAULT_EXPIRATION_S = 900;
/** The shortest lockout after Retries wrong answers, whatever LockoutPeriod says (TR-181 default 30 s; R-SEC.16/17). */
export const MIN_LOCKOUT_S = 30;

interface Outstanding {
  readonly id: string;
  readonly controller: string;
  readonly challenge: string;
  /** ms since the epoch; 0 = never. */
  readonly expires: number;
}

interface RowState {
  failures: number;
  lockedUntil: number;
}

export interface ChallengeOutput {
  readonly Instruction: string;
  readonly InstructionType: string;
  readonly ValueType: string;
  readonly ChallengeID: string;
}

const denied = (msg: string): UspError => new UspError(UspErrorCode.RequestDenied, msg);
const v = (i: ObjInstance, name: string): string => i.values.get(name) ?? i.node.params.get(name)?.defaultValue ?? '';

export class Challenges {
  private readonly byId = new Map<string, Outstanding>();
  private readonly rows = new Map<string, RowState>();

  constructor(
    private readonly dm: DataModel,
    private readonly clock: Clock,
  ) {}

  /** RequestChallenge() from the controller `controller` (row path). */
  request(controller: string, challengeRef: string, expirationS: number | undefined): ChallengeOutput {
    const row = this.challengeRow(challengeRef);
    if (v(row, 'Enable') !== 'true') throw denied(`${row.path} is disabled`);
    this.checkLock(row);
    const now = this.clock.now();
    for (const o of this.byId.values()) {
      if (o.controller !== controller) continue;
      if (o.expires !== 0 && o.expires <= now) this.byId.delete(o.id);
      else if (o.challenge !== row.path) throw denied(`a challenge request for ${o.challenge} is still outstanding`);
      else this.byId.delete(o.id); // asking again for the same challenge replaces the request
    }
    const exp = expirationS ?? DEFAULT_EXPIRATION_S;
    const id = randomBytes(16).toString('hex');
    this.byId.set(id, { id, controller, challenge: row.path, expires: exp === 0 ? 0 : now + exp * 1000 });
    return { Instruction: v(row, 'Instruction'), InstructionType: v(row, 'InstructionType'), ValueType: v(row, 'ValueType'), ChallengeID: id };
  }

  /**
   * ChallengeResponse() from `controller`: returns the role references to append to its
   * AssignedRole, or throws (7004 unknown ID, 7002 locked out, 7022 wrong answer); an unknown ChallengeRef is 7027.
   */
  respond(controller: string, challengeId: string, valueB64: string): string[] {
    const o = this.byId.get(challengeId);
    const now = this.clock.now();
    if (!o || o.controller !== controller || (o.expires !== 0 && o.expires <= now)) {
      if (o && o.controller === controller) this.byId.delete(o.id);
      throw new UspError(UspErrorCode.InvalidArguments, `unknown or expired ChallengeID '${challengeId}'`);
    }
    const row = this.dm.tree.get(o.challenge);
    if (!row || v(row, 'Enable') !== 'true') {
      this.byId.delete(o.id);
      throw denied(`${o.challenge} no longer exists or is disabled`);
    }
    this.checkLock(row);
    const st = this.state(row.path);
    if (!sameBytes(v(row, 'Value'), valueB64)) {
      st.failures++;
      const allowed = Math.max(1, Number(v(row, 'Retries')) || 0);
      const lockout = Math.max(MIN_LOCKOUT_S, Number(v(row, 'LockoutPeriod')) || 0);
      if (st.failures >= allowed) {
        st.lockedUntil = now + lockout * 1000;
        st.failures = 0;
        for (const x of this.byId.values()) if (x.challenge === row.path) this.byId.delete(x.id);
      }
      throw new UspError(UspErrorCode.CommandFailure, `wrong answer to ${row.path}`);
    }
    this.rows.delete(row.path);
    this.byId.delete(o.id);
    return v(row, 'Role')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  private challengeRow(ref: string): ObjInstance {
    const path = rolePath(ref.trim());
    const row = path.startsWith(`${TRUST_PATH}Challenge.`) ? this.dm.tree.get(path) : undefined;
    if (!row || row.node.name !== 'Challenge') throw new UspError(UspErrorCode.InvalidCommandArguments, `ChallengeRef '${ref}' is not a ${TRUST_PATH}Challenge.{i} row`);
    return row;
  }

  private checkLock(row: ObjInstance): void {
    const st = this.rows.get(row.path);
    if (st && st.lockedUntil > this.clock.now()) {
      throw denied(`${row.path} is locked out for ${Math.ceil((st.lockedUntil - this.clock.now()) / 1000)} s after failed answers`);
    }
  }

  private state(path: string): RowState {
    let st = this.rows.get(path);
    if (!st) this.rows.set(path, (st = { failures: 0, lockedUntil: 0 }));
    return st;
  }
}

/** Base64 values compared as bytes, in constant time for equal lengths. */
function sameBytes(expectedB64: string, givenB64: string): boolean {
  const a = Buffer.from(expectedB64, 'base64');
  const b = Buffer.from(givenB64, 'base64');
  if (a.length === 0 || a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
