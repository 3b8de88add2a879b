/**
 * Bulk Data collection (TR-369 Annex A, TR-181 Device.BulkData, USP-NOTES §16): registers the
 * objects, keeps one ProfileRunner per Profile row in step with the committed data model
 * (DataModel.onChange), and reports Device.BulkData.Status. agent.ts builds it, calls register()
 * before the registry freezes, open() once the database is loaded and stop() when the agent stops.
 *
 * A profile runs when Device.BulkData.Enable and its own Enable are true and it is complete
 * (profileProblem); ReportingInterval is never shorter than MinReportingInterval. Status is
 * Disabled when Device.BulkData.Enable is false, Error when an enabled profile cannot run.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { Registry } from '../../datamodel/registry.js';
import type { BulkDataConfig } from '../config-bulkdata.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../notify/events.js';
import type { ReaderRights } from './collect.js';
import type { ClientTls } from './http.js';
import { ENCODINGS, PROTOCOLS, registerBulkData } from './objects.js';
import { profileProblem, readProfile } from './profile.js';
import { RetainedReports } from './retained.js';
import { ProfileRunner } from './runner.js';
import type { CycleResult } from './runner.js';

export type { CycleResult } from './runner.js';

export interface BulkDataOptions {
  readonly config: BulkDataConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where Push! events go (the notifier, once the agent has one). */
  readonly events: () => EventSink;
  /** Random source of the retry back-off (tests). */
  readonly random?: () => number;
}

export class BulkDataService {
  /** The agent's TLS identity, offered to HTTPS collectors (set by agent.ts when it has one). */
  tls: ClientTls | undefined;
  /** The ControllerTrust rights of a profile's Controller (set by agent.ts once it has them); unset: full rights. */
  rightsOf: ((controllerPath: string) => ReaderRights | undefined) | undefined;
  private dm: DataModel | undefined;
  private retained: RetainedReports | undefined;
  private readonly runners = new Map<string, ProfileRunner>();
  private readonly problems = new Map<string, string>();
  private readonly listeners = new Set<(r: CycleResult) => void>();
  private unsubscribe: (() => void) | undefined;
  private enabled = false;

  constructor(private readonly opts: BulkDataOptions) {}

  /** Registers Device.BulkData. (before the registry freezes). */
  register(registry: Registry): void {
    registerBulkData(registry, {
      config: this.opts.config,
      tree: () => this.dm?.tree,
      status: () => (!this.enabled ? 'Disabled' : this.problems.size > 0 ? 'Error' : 'Enabled'),
      force: (path) => this.runner(path).force(),
    });
  }

  /** Starts the schedules of the stored profiles and follows every later change. */
  open(dm: DataModel): void {
    this.dm = dm;
    this.retained = new RetainedReports(dm.store);
    for (const row of dm.tree.get('Device.BulkData.')?.rows('Profile') ?? []) if (readProfile(row).http.persistAcrossReboot) this.retained.restore(row.path);
    this.unsubscribe = dm.onChange((events) => {
      if (events.some((e) => e.objPath.startsWith('Device.BulkData.'))) this.reconcile();
    });
    this.reconcile();
  }

  /** Observes every finished report cycle (tests, benchmark); returns the unsubscribe function. */
  onReport(fn: (r: CycleResult) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  private runner(path: string): ProfileRunner {
    let r = this.runners.get(path);
    if (!r) {
      const { dm, retained } = this;
      if (!dm || !retained) throw new Error('bulk data: not open');
      const { config, clock, log } = this.opts;
      r = new ProfileRunner(path, {
        dm,
        clock,
        log,
        retained,
        events: this.opts.events,
        tls: () => this.tls,
        rightsOf: (controllerPath) => this.rightsOf?.(controllerPath),
        maxParams: config.maxParameterReferences,
        httpTimeoutMs: config.httpTimeoutSeconds * 1000,
        ...(this.opts.random && { random: this.opts.random }),
        onReport: (res) => {
          for (const l of this.listeners) l(res);
        },
      });
      this.runners.set(path, r);
    }
    return r;
  }

  /** Brings the runners in line with the committed profiles (called synchronously after each commit). */
  private reconcile(): void {
    const { dm } = this;
    if (!dm) return;
    const top = dm.tree.get('Device.BulkData.');
    this.enabled = top?.values.get('Enable') === 'true';
    const rows = [...(top?.rows('Profile') ?? [])];
    const live = new Set(rows.map((r) => r.path));
    for (const [path, r] of this.runners) {
      if (live.has(path)) continue;
      this.runners.delete(path);
      this.problems.delete(path);
      this.retained?.drop(path);
      void r.stop();
    }
    const min = this.opts.config.minReportingInterval;
    for (const row of rows) {
      const p = readProfile(row);
      const problem = this.enabled && p.enable ? profileProblem(p, PROTOCOLS, ENCODINGS) : undefined;
      if (problem !== this.problems.get(p.path)) {
        if (problem) this.opts.log.warn('BDC-W04', `${p.path} cannot run: ${problem}`);
        else if (this.problems.has(p.path)) this.opts.log.info('BDC-I03', `${p.path} is complete and runs`);
      }
      if (problem) this.problems.set(p.path, problem);
      else this.problems.delete(p.path);
      const active = this.enabled && p.enable && !problem;
      if (!active && !this.runners.has(p.path)) continue;
      this.runner(p.path).configure(p, active, Math.max(p.intervalS, min));
    }
  }
}
