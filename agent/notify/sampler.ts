/**
 * ValueChange for live parameters (a getter reads the device; nothing is committed when they
 * change): every `intervalMs` the parameters that enabled ValueChange subscriptions watch are
 * read, under the data-model lock, and compared with the previous reading. The first reading of a
 * parameter only sets its baseline. A committed write of a live parameter (its setter) updates
 * the baseline too, so the change is reported once, by the commit. Which parameters are watched:
 * those a ReferenceList names by parameter path, and those below an object path except the ones
 * TR-181 marks activeNotify="canDeny" (UpTime, counters, CPU and memory figures), which would
 * otherwise report at every sample; parameters whose value change is denied never are.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { ParamNode } from '../../datamodel/nodes.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Subscription } from './subscriptions.js';

/** A live parameter and the subscriptions that watch it. */
export interface Watched {
  readonly inst: ObjInstance;
  readonly param: ParamNode;
  readonly subs: readonly Subscription[];
}

export interface SamplerOptions {
  readonly dm: DataModel;
  readonly clock: Clock;
  readonly log: Logger;
  /** 0 = never sample. */
  readonly intervalMs: number;
  /** What to read now (called under the lock). */
  readonly watched: () => Iterable<Watched>;
  /** A watched value changed since the previous reading. */
  readonly changed: (w: Watched, value: string) => void;
}

/** A parameter whose value only a getter (or the row count) knows. */
export const isLive = (p: ParamNode): boolean => !p.stored;

export class LiveSampler {
  private last = new Map<string, string>();
  private cancel: (() => void) | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: SamplerOptions) {}

  start(): void {
    if (this.opts.intervalMs > 0) this.arm();
  }

  /** A committed write set `key` (instance path + name) to `value`. */
  note(key: string, value: string): void {
    if (this.last.has(key)) this.last.set(key, value);
  }

  /** Reads every watched parameter once now (also what the timer does). */
  sample(): Promise<void> {
    this.running = this.running
      .then(() => this.opts.dm.lock(() => this.read()))
      .catch((e: unknown) => this.opts.log.error('NTF-E03', 'sampling live parameters failed', e));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = undefined;
    await this.running;
  }

  private arm(): void {
    if (this.stopped) return;
    this.cancel = this.opts.clock.setTimer(() => {
      this.arm();
      void this.sample();
    }, this.opts.intervalMs);
  }

  private async read(): Promise<void> {
    if (this.stopped) return;
    const next = new Map<string, string>();
    for (const w of this.opts.watched()) {
      const key = w.inst.path + w.param.def.name;
      let value: string;
      try {
        value = await this.opts.dm.read(w.inst, w.param);
      } catch {
        continue; // the data model logged the failing getter; try again next time
      }
      const prev = this.last.get(key);
      next.set(key, value);
      if (prev !== undefined && prev !== value) this.opts.changed(w, value);
    }
    this.last = next;
  }
}
