/**
 * Activate() time windows (TR-181 FirmwareImage.{i}.Activate() TimeWindow.{i}): when, within
 * each window, the agent may activate. Offsets count from the request (CommandContext.startedAt);
 * windows are tried in order, and one that passes without an activation hands over to the next.
 * - Immediately: at the window's Start. AnyTime: at Start too (the earliest moment allowed).
 * - WhenIdle: the first moment in the window the platform reports idle (polled).
 * - ConfirmationNeeded: the platform asks the user; MaxRetries more asks (-1: the agent's
 *   choice, 2), spread over the window; never confirmed = window not used.
 */
import { InvalidCommandArgsError } from '../../datamodel/errors.js';
import type { CommandArgs } from '../../datamodel/nodes.js';
import { waitUntil } from '../clock.js';
import type { Clock } from '../clock.js';
import type { FirmwarePlatform } from './platform.js';

export type WindowMode = 'AnyTime' | 'Immediately' | 'WhenIdle' | 'ConfirmationNeeded';

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
  readonly mode: WindowMode;
  readonly userMessage: string;
  readonly maxRetries: number;
}

/** Seconds between idle checks (WhenIdle). */
export const IDLE_POLL_S = 30;
/** Retries when MaxRetries is -1 (the agent decides). */
export const DEFAULT_CONFIRM_RETRIES = 2;

/** The TimeWindow.{n}. input arguments in instance order; throws 7027 for End before Start or overlapping windows. */
export function parseWindows(input: CommandArgs, command: string): TimeWindow[] {
  const nums = new Set<number>();
  for (const k of Object.keys(input)) {
    const m = /^TimeWindow\.(\d+)\./.exec(k);
    if (m?.[1]) nums.add(Number(m[1]));
  }
  const out: TimeWindow[] = [];
  for (const n of [...nums].sort((a, b) => a - b)) {
    const v = (name: string): string => input[`TimeWindow.${n}.${name}`] ?? '';
    const w: TimeWindow = { start: Number(v('Start')), end: Number(v('End')), mode: v('Mode') as WindowMode, userMessage: v('UserMessage'), maxRetries: v('MaxRetries') === '' ? -1 : Number(v('MaxRetries')) };
    if (w.end < w.start) throw new InvalidCommandArgsError(`${command}: TimeWindow.${n}. ends (${w.end} s) before it starts (${w.start} s)`, command);
    const prev = out[out.length - 1];
    if (prev && w.start < prev.end) throw new InvalidCommandArgsError(`${command}: TimeWindow.${n}. starts at ${w.start} s, inside the previous window (ends at ${prev.end} s); windows must not overlap`, command);
    out.push(w);
  }
  return out;
}

export interface WindowContext {
  readonly clock: Clock;
  /** When the command was requested (ms since the epoch). */
  readonly startedAt: number;
  readonly signal: AbortSignal;
  readonly platform: Pick<FirmwarePlatform, 'idle' | 'confirm'>;
}

/** Resolves true at the moment activation is allowed, false when every window passed without one; rejects when aborted. */
export async function awaitWindow(windows: readonly TimeWindow[], ctx: WindowContext): Promise<boolean> {
  if (windows.length === 0) return true;
  const { clock, signal } = ctx;
  for (const w of windows) {
    const startAt = ctx.startedAt + w.start * 1000;
    const endAt = ctx.startedAt + w.end * 1000;
    if (clock.now() > endAt) continue;
    await waitUntil(clock, startAt, signal);
    if (w.mode === 'AnyTime' || w.mode === 'Immediately') return true;
    if (w.mode === 'WhenIdle') {
      for (;;) {
        if (await ctx.platform.idle()) return true;
        const next = clock.now() + IDLE_POLL_S * 1000;
        if (next > endAt) break;
        await waitUntil(clock, next, signal);
      }
      continue;
    }
    const asks = 1 + (w.maxRetries < 0 ? DEFAULT_CONFIRM_RETRIES : w.maxRetries);
    const gap = Math.max(1000, (endAt - clock.now()) / asks);
    for (let i = 0; i < asks && clock.now() <= endAt; i++) {
      if (i > 0) await waitUntil(clock, Math.min(endAt, clock.now() + gap), signal);
      if (await ctx.platform.confirm(w.userMessage, signal)) return true;
    }
  }
  return false;
}
