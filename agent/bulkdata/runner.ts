/**
 * One profile's reporting cycle: at each due time (schedule.ts) collect under the data-model
 * lock, encode, and deliver over HTTP (with the profile's retries and retained failed reports) or
 * as a Push! event. Each profile has its own runner, so a slow or failing collector delays only
 * its own profile: collection takes the lock briefly, sending and retrying happen outside it.
 *
 * HTTP retries (R-BULK.2–5, USP-NOTES §12): with RetryEnable, failed attempts are retried after
 * the TR-369 back-off until one succeeds or the next reporting interval starts; the report is then
 * failed and kept per NumberOfRetainedFailedReports (retained.ts) for the next transfer, which
 * sends them first, then the current report, in one body.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { retryDelayMs } from '../mtp/retry.js';
import type { EventSink } from '../notify/events.js';
import { collect } from './collect.js';
import { encodeReports } from './encode.js';
import { sendHttp } from './http.js';
import type { ReaderRights } from './collect.js';
import type { ClientTls } from './http.js';
import { ENCODINGS, PROTOCOLS } from './objects.js';
import { profileProblem, readProfile } from './profile.js';
import type { Profile } from './profile.js';
import { uriQuery } from './query.js';
import type { RetainedReports } from './retained.js';
import { at, nextDue, sleep } from './schedule.js';

export interface RunnerDeps {
  readonly dm: DataModel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retained: RetainedReports;
  readonly events: () => EventSink;
  readonly tls: () => ClientTls | undefined;
  /** The rights of a Controller row (instance path, trailing dot) to collect with; undefined: full rights. */
  readonly rightsOf: (controllerPath: string) => ReaderRights | undefined;
  /** MaxNumberOfParameterReferences (-1 = none). */
  readonly maxParams: number;
  readonly httpTimeoutMs: number;
  readonly random?: () => number;
  /** Called after each cycle (tests and the benchmark observe reports through it). */
  readonly onReport?: (r: CycleResult) => void;
}

export interface CycleResult {
  readonly path: string;
  readonly ok: boolean;
  /** Time to collect and encode the report, in ms. */
  readonly buildMs: number;
  readonly parameters: number;
  readonly bytes: number;
}

/** What a schedule depends on: a change restarts it (TR-181: "the first reporting interval begins immediately"). */
const scheduleKey = (p: Profile, intervalS: number): string => `${intervalS}|${p.timeRefMs ?? 'unknown'}`;

export class ProfileRunner {
  private key = '';
  private anchorMs = 0;
  private intervalMs = 0;
  private cancelTimer: () => void = () => undefined;
  /** Aborts the transfer (and retries) of the cycle in progress. */
  private inflight: AbortController | undefined;
  private chain: Promise<void> = Promise.resolve();
  private encoding = '';
  private stopped = false;

  constructor(
    readonly path: string,
    private readonly deps: RunnerDeps,
  ) {}

  /** (Re)arms the schedule for `p` as it is now; `active` false stops scheduling (a forced collection still works). */
  configure(p: Profile, active: boolean, intervalS: number): void {
    if (this.encoding !== '' && p.encoding !== this.encoding) this.deps.retained.drop(this.path); // TR-181 NumberOfRetainedFailedReports
    this.encoding = p.encoding;
    const key = active ? scheduleKey(p, intervalS) : '';
    if (key === this.key) return;
    this.key = key;
    this.cancelTimer();
    this.cancelTimer = () => undefined;
    if (!active) return;
    this.intervalMs = intervalS * 1000;
    this.anchorMs = p.timeRefMs ?? this.deps.clock.now();
    this.arm();
  }

  /** Starts a cycle now, outside the schedule (ForceCollection()). */
  force(): void {
    this.enqueue();
  }

  /** Stops scheduling and aborts the transfer in progress; resolves once the cycle has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.key = '';
    this.cancelTimer();
    this.inflight?.abort();
    await this.chain;
  }

  private arm(): void {
    const due = nextDue(this.anchorMs, this.intervalMs, this.deps.clock.now());
    this.cancelTimer = at(this.deps.clock, due, () => {
      this.arm();
      this.enqueue(due);
    });
  }

  /** The next cycle ends the previous one's retries first: its report is then a failed one. */
  private enqueue(dueMs?: number): void {
    this.inflight?.abort();
    this.chain = this.chain.then(() => this.cycle(dueMs)).catch((e: unknown) => this.deps.log.error('BDC-E01', `bulk data cycle of ${this.path} failed`, e));
  }

  /** One report; a scheduled one is stamped with its due time, so CollectionTime stays on the grid. */
  private async cycle(dueMs: number | undefined): Promise<void> {
    if (this.stopped) return;
    const { dm, clock } = this.deps;
    let started = 0;
    const snap = await dm.lock(async () => {
      // Timed from inside the lock: waiting behind other messages is not collection time.
      started = performance.now();
      const row = dm.tree.get(this.path);
      if (!row || this.stopped) return undefined;
      const p = readProfile(row);
      const problem = profileProblem(p, PROTOCOLS, ENCODINGS);
      if (problem) {
        this.deps.log.warn('BDC-W05', `${this.path}: no report: ${problem}`);
        return undefined;
      }
      const rights = p.controller === '' ? undefined : this.deps.rightsOf(p.controller);
      const current = await collect(dm, p.params, this.deps.maxParams, dueMs ?? clock.now(), rights);
      return { p, current, query: p.protocol === 'HTTP' ? await uriQuery(dm, p.http.uriParams, rights) : [] };
    });
    if (!snap) return;
    const { p, current } = snap;
    if (current.truncated) this.deps.log.warn('BDC-W02', `${this.path}: report cut at Device.BulkData.MaxNumberOfParameterReferences (${this.deps.maxParams})`);
    if (p.protocol === 'USPEventNotif') {
      // R-BULK / TR-181 Push!: the report is the Data argument; the notifier's retry applies, no retained reports.
      const report = encodeReports(p, [current]);
      const buildMs = performance.now() - started;
      // TR-181 Profile.{i}.Controller: only that controller receives the Push!, even if others subscribed.
      this.deps.events().event(this.path, 'Push!', { Data: report.body }, p.controller === '' ? undefined : p.controller);
      this.deps.onReport?.({ path: this.path, ok: true, buildMs, parameters: current.items.length, bytes: report.body.length });
      return;
    }
    const reports = [...this.deps.retained.get(this.path), current];
    const report = encodeReports(p, reports);
    const buildMs = performance.now() - started;
    const ctl = new AbortController();
    this.inflight = ctl;
    const ok = await this.transfer(p, report, snap.query, ctl.signal);
    if (this.inflight === ctl) this.inflight = undefined;
    if (ok) this.deps.retained.drop(this.path);
    else if (!this.stopped || p.http.persistAcrossReboot) {
      try {
        this.deps.retained.keep(this.path, reports, p.retained, p.http.persistAcrossReboot);
      } catch (e) {
        // Only when the database closed under a stopping agent without waiting for stop().
        this.deps.log.warn('BDC-W06', `${this.path}: failed report could not be kept`, e);
      }
    }
    this.deps.onReport?.({ path: this.path, ok, buildMs, parameters: current.items.length, bytes: report.body.length });
  }

  /** Sends with retries until success, or until the next cycle or stop() aborts `signal`. */
  private async transfer(
    p: Profile,
    report: ReturnType<typeof encodeReports>,
    query: readonly (readonly [string, string])[],
    signal: AbortSignal,
  ): Promise<boolean> {
    const { clock, log } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const out = await sendHttp(p.http, report, { query, tls: this.deps.tls(), timeoutMs: this.deps.httpTimeoutMs, signal, nowMs: clock.now() });
      if (out.ok) {
        log.debug('BDC-D01', `${this.path}: report delivered to ${p.http.url} (${out.status})`);
        return true;
      }
      if (signal.aborted) {
        log.warn('BDC-W03', `${this.path}: transfer to ${p.http.url} abandoned at the end of its interval: ${out.reason}`);
        return false;
      }
      if (!p.http.retryEnable) {
        log.warn('BDC-W01', `${this.path}: transfer to ${p.http.url} failed: ${out.reason}`);
        return false;
      }
      const wait = retryDelayMs(attempt, { minWaitS: p.http.retryMinWaitS, multiplierX1000: p.http.retryMultiplierX1000 }, this.deps.random);
      log.info('BDC-I02', `${this.path}: transfer to ${p.http.url} failed (${out.reason}); retry ${attempt} in ${wait} ms`);
      if (!(await sleep(clock, wait, signal))) return false;
    }
  }
}
