/**
 * Bounded EU logs. A unit's stdout and stderr go straight to a file opened for append (so the
 * unit keeps writing while the agent restarts); the agent checks the files' sizes every second
 * and, past the limit, keeps the current content as `<log>.1` (replacing the older one) and
 * empties the log. Because the unit appends, its next write lands at the new end: at most
 * about twice the limit is ever kept per EU.
 */
import { copyFile, rm, stat, truncate } from 'node:fs/promises';
import type { Logger } from '../log.js';

const CHECK_MS = 1000;

export class UnitLogs {
  private readonly files = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** Keeps `file` within the limit from now on. */
  watch(file: string): void {
    this.files.add(file);
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.check().catch((e: unknown) => this.log.warn('SMM-W01', 'checking the unit logs failed', e));
      }, CHECK_MS);
      this.timer.unref();
    }
  }

  /** Stops watching `file` and deletes it and its rotated copy. */
  async remove(file: string): Promise<void> {
    this.files.delete(file);
    await rm(file, { force: true });
    await rm(`${file}.1`, { force: true });
  }

  /** Rotates every watched file that is over the limit (also called by the timer). */
  async check(): Promise<void> {
    for (const file of this.files) {
      try {
        const st = await stat(file).catch(() => undefined);
        if (!st || st.size <= this.maxBytes) continue;
        await copyFile(file, `${file}.1`);
        await truncate(file, 0);
      } catch (e) {
        this.log.warn('SMM-W01', `cannot rotate the unit log ${file}`, e);
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
