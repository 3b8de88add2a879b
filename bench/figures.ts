/**
 * What every bench module returns to bench/suite.ts: named figures with their unit and, where the
 * issues set one, the aim. Aims are printed next to the figures, never asserted (speed is
 * measured here, not in tests).
 */
import { pathToFileURL } from 'node:url';

export interface Aim {
  /** `max`: the figure must be ≤ value (or < value when `strict`); `min`: ≥ value. */
  readonly kind: 'max' | 'min';
  readonly value: number;
  readonly strict?: boolean;
}

export interface Figure {
  readonly metric: string;
  /** NaN when the measurement failed or was skipped (see `note`). */
  readonly value: number;
  readonly unit: string;
  readonly aim?: Aim;
  /** Shown after the value: latencies, what the figure includes, or why it is missing. */
  readonly detail?: string;
}

export const aimMax = (value: number, strict = false): Aim => ({ kind: 'max', value, strict });
export const aimMin = (value: number): Aim => ({ kind: 'min', value });

/** 'met' / 'MISSED' / '' (no aim or no value). */
export function verdict(f: Figure): string {
  if (!f.aim || Number.isNaN(f.value)) return '';
  const { kind, value, strict } = f.aim;
  const ok = kind === 'min' ? f.value >= value : strict ? f.value < value : f.value <= value;
  return ok ? 'met' : 'MISSED';
}

export function aimText(a: Aim | undefined, unit: string): string {
  if (!a) return '';
  return `${a.kind === 'min' ? '≥' : a.strict ? '<' : '≤'} ${fmt(a.value)} ${unit}`;
}

/** Three significant digits for small numbers, thousands separators for large ones. */
export function fmt(n: number): string {
  if (Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `p50 x ms, p99 y ms`. */
export const latency = (p50: number, p99: number): string => `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`;

/** The `p` quantile (0..1) of ascending `sorted`; NaN when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** True when the module at `metaUrl` is the script node was started with (run alone, not imported by the suite). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === metaUrl;
}

/** A figure that could not be measured: keeps its row in the table with the reason. */
export const missing = (metric: string, unit: string, why: string, aim?: Aim): Figure => ({ metric, value: NaN, unit, detail: why, ...(aim && { aim }) });

/** Runs a part alone (its own script): a failure is printed and sets exit code 1. */
export async function runAlone(name: string, part: () => Promise<unknown>): Promise<void> {
  try {
    await part();
  } catch (e) {
    process.exitCode = 1;
    console.error(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
