/**
 * Failed reports kept for the next transfer (TR-181 Profile.{i}.NumberOfRetainedFailedReports):
 * up to N per profile, oldest dropped first; -1 keeps as many as RETAIN_CAP. When the profile's
 * HTTP.PersistAcrossReboot is true they are also written to the database (a meta key per
 * profile), so a restart does not lose them.
 */
import type { Store } from '../../datamodel/store.js';
import type { Collected } from './collect.js';

/** "As many as possible" in practice: a bound that keeps memory and report size sane. */
export const RETAIN_CAP = 1000;
const KEY = 'bulkdata.retained:';

export class RetainedReports {
  private readonly byProfile = new Map<string, Collected[]>();

  constructor(private readonly store: Store) {}

  get(path: string): readonly Collected[] {
    return this.byProfile.get(path) ?? [];
  }

  /** Keeps the newest `max` of `reports` for `path` (max -1 = up to RETAIN_CAP); persists them when asked. */
  keep(path: string, reports: readonly Collected[], max: number, persist: boolean): void {
    const n = max < 0 ? RETAIN_CAP : Math.min(max, RETAIN_CAP);
    const kept = n === 0 ? [] : reports.slice(-n);
    if (kept.length === 0) this.byProfile.delete(path);
    else this.byProfile.set(path, kept);
    if (persist || this.store.getMeta(KEY + path)) this.store.setMeta(KEY + path, persist && kept.length > 0 ? JSON.stringify(kept) : '');
  }

  drop(path: string): void {
    this.byProfile.delete(path);
    if (this.store.getMeta(KEY + path)) this.store.setMeta(KEY + path, '');
  }

  /** Loads the reports a previous run persisted for `path` (PersistAcrossReboot). */
  restore(path: string): void {
    const text = this.store.getMeta(KEY + path);
    if (!text) return;
    try {
      const parsed = JSON.parse(text) as Collected[];
      if (Array.isArray(parsed) && parsed.length > 0) this.byProfile.set(path, parsed);
    } catch {
      this.store.setMeta(KEY + path, '');
    }
  }
}
