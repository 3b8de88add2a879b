/**
 * Deployment Unit operations (TR-369 Appendix "Software Module Management"; TR-181
 * Device.SoftwareModules.InstallDU(), DeploymentUnit.{i}.Update() / Uninstall()). Each one is
 * atomic: the DU is fetched and unpacked into a staging folder first, and the data model and
 * live version change only once that worked. An update whose units fail to start rolls back to
 * the previous version and restarts its units as they were. Every completed operation, good or
 * bad, is reported with DUStateChange! (its Fault says why), and a failure leaves nothing on disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandArgs } from '../../datamodel/nodes.js';
import type { SmmConfig } from '../config-smm.js';
import type { Clock } from '../clock.js';
import type { EventSink } from '../notify/events.js';
import type { DuDisk } from './disk.js';
import { faultOf, SmmFault, SmmFaultError } from './faults.js';
import { fetchDu, parseDuUrl } from './fetch.js';
import { unpackDu } from './package.js';
import type { DuManifest } from './package.js';
import { addRow, deleteRow, nowIso, objPathOf, ref, rows, setValues, SM, value } from './rows.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Supervisor } from './supervisor.js';
import type { ExecEnvs } from './exec-envs.js';

export interface DuOpsDeps {
  readonly dm: DataModel;
  readonly clock: Clock;
  readonly config: SmmConfig;
  readonly disk: DuDisk;
  readonly supervisor: Supervisor;
  readonly envs: ExecEnvs;
  events(): EventSink;
}

type Op = 'Install' | 'Update' | 'Uninstall';

/** RFC 4122 name-based (version 5, SHA-1) UUID in the URL namespace, from the DU's vendor and name. */
export function duUuid(vendor: string, name: string): string {
  const ns = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const h = createHash('sha1').update(ns).update(`${vendor}:${name}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const hex = (n: number): string => randomBytes(n).toString('hex');

export class DuOperations {
  /** DUIDs with an operation in progress, and `UUID|ExecEnv` pairs being installed. */
  private readonly busy = new Set<string>();

  constructor(private readonly deps: DuOpsDeps) {}

  isBusy(duid: string): boolean {
    return this.busy.has(duid);
  }

  private report(
    op: Op,
    startMs: number,
    du: { uuid: string; path: string; version: string; euRefs: readonly string[] },
    state: 'Installed' | 'Uninstalled' | 'Failed',
    err?: unknown,
  ): void {
    const fault = err === undefined ? { code: 0, text: '' } : faultOf(err);
    this.deps.events().event(SM, 'DUStateChange!', {
      UUID: du.uuid,
      DeploymentUnitRef: du.path ? ref(du.path) : '',
      Version: du.version,
      CurrentState: state,
      Resolved: state === 'Failed' ? 'false' : 'true',
      ExecutionUnitRefList: du.euRefs.join(','),
      StartTime: nowIso(startMs),
      CompleteTime: nowIso(this.deps.clock.now()),
      OperationPerformed: op,
      'Fault.FaultCode': String(fault.code),
      'Fault.FaultString': fault.text,
    });
  }

  private duplicate(uuid: string, eeRef: string): void {
    const key = `${uuid.toLowerCase()}|${eeRef}`;
    const installed = rows(this.deps.dm, 'DeploymentUnit').some(
      (r) => value(r, 'UUID').toLowerCase() === uuid.toLowerCase() && value(r, 'ExecutionEnvRef') === eeRef,
    );
    // One version of a DU per Execution Environment (TR-369 Appendix SMM): install again only after Uninstall.
    if (installed || this.busy.has(key)) throw new SmmFaultError(SmmFault.DuplicateDU, `a DU with UUID ${uuid} is already installed on ${eeRef}`);
  }

  /** Downloads and unpacks `url` into a new staging folder; the caller removes `stage`. */
  private async fetch(url: string, input: CommandArgs, stage: string, signal: AbortSignal): Promise<{ dir: string; manifest: DuManifest }> {
    const c = this.deps.config;
    const file = join(stage, 'du.tar');
    await fetchDu(url, file, {
      username: input['Username'] ?? '',
      password: input['Password'] ?? '',
      maxBytes: c.maxDownloadBytes,
      timeoutMs: c.downloadTimeoutSeconds * 1000,
      signal,
    });
    const du = await unpackDu(file, stage, { maxBytes: c.maxUnpackedBytes, maxEntries: c.maxEntries });
    await rm(file, { force: true });
    return du;
  }

  /** InstallDU(): returns the output arguments UUID, Version, ExecEnvRef. */
  async install(input: CommandArgs, signal: AbortSignal): Promise<CommandArgs> {
    const { dm, disk, envs } = this.deps;
    const startMs = this.deps.clock.now();
    let uuid = input['UUID'] ?? '';
    let key = '';
    let stage: string | undefined;
    try {
      const url = input['URL'] ?? '';
      parseDuUrl(url);
      let eeRef = input['ExecutionEnvRef'] ? envs.usable(input['ExecutionEnvRef']) : '';
      if (uuid && eeRef) this.duplicate(uuid, eeRef);
      stage = await disk.staging();
      const { dir, manifest } = await this.fetch(url, input, stage, signal);
      if (eeRef && envs.runtimeFor(eeRef)?.kind !== manifest.kind)
        throw new SmmFaultError(SmmFault.ExecEnvMismatch, `this is a '${manifest.kind}' DU; ${eeRef} cannot run it`);
      eeRef ||= envs.forKind(manifest.kind);
      uuid ||= duUuid(manifest.vendor, manifest.name);
      this.duplicate(uuid, eeRef);
      key = `${uuid.toLowerCase()}|${eeRef}`;
      this.busy.add(key);
      const duid = `du-${hex(6)}`;
      await disk.addVersion(duid, 1, dir);
      await disk.setCurrent(duid, { n: 1, manifest });
      const now = nowIso(this.deps.clock.now());
      let created: { du: string; eus: string[] };
      try {
        created = await dm.transaction((txn) => {
          const eus = manifest.units.map((u) => {
            const euid = `eu-${hex(6)}`;
            return addRow(dm, txn, 'ExecutionUnit', {
              EUID: euid,
              Name: u.name,
              ExecEnvLabel: `usp-${euid}`,
              Status: 'Idle',
              ExecutionFaultCode: 'NoFault',
              AutoStart: String(u.autoStart),
              RunLevel: String(u.runLevel),
              Vendor: manifest.vendor,
              Version: manifest.version,
              Description: manifest.description,
              ExecutionEnvRef: eeRef,
              CreationTime: now,
              ShutdownDelay: input['ShutdownDelay'] ?? '10',
              AllocatedMemory: input['Resources.AllocatedMemory'] ?? '-1',
              AllocatedCPUPercent: input['Resources.AllocatedCPUPercent'] ?? '-1',
              AllocatedDiskSpace: input['Resources.AllocatedDiskSpace'] ?? '-1',
              ...Object.fromEntries(
                ['Enable', 'RetryMinimumWaitInterval', 'RetryMaximumWaitInterval', 'RetryIntervalMultiplier', 'MaximumRetryCount', 'ResetPeriod']
                  .filter((k) => input[`AutoRestart.${k}`] !== undefined)
                  .map((k) => [`AutoRestart.${k}`, input[`AutoRestart.${k}`] as string]),
              ),
            });
          });
          const du = addRow(dm, txn, 'DeploymentUnit', {
            UUID: uuid,
            DUID: duid,
            Name: manifest.name,
            Status: 'Installed',
            Resolved: 'true',
            URL: url,
            Description: manifest.description,
            Vendor: manifest.vendor,
            Version: manifest.version,
            ModuleVersion: input['ModuleVersion'] ?? '',
            ExecutionUnitList: eus.map(ref).join(','),
            ExecutionEnvRef: eeRef,
            Installed: now,
            LastUpdate: now,
          });
          return { du, eus };
        });
      } catch (e) {
        await disk.removeDu(duid);
        throw e;
      }
      this.report('Install', startMs, { uuid, path: created.du, version: manifest.version, euRefs: created.eus.map(ref) }, 'Installed');
      return { UUID: uuid, Version: manifest.version, ExecEnvRef: eeRef };
    } catch (e) {
      this.report('Install', startMs, { uuid, path: '', version: '', euRefs: [] }, 'Failed', e);
      throw e;
    } finally {
      if (key) this.busy.delete(key);
      if (stage) await rm(stage, { recursive: true, force: true });
    }
  }

  /** The EU ids of a DU row. */
  private euids(duPath: string): string[] {
    const du = this.deps.dm.tree.get(duPath);
    return value(du, 'ExecutionUnitList')
      .split(',')
      .filter(Boolean)
      .map((r) => value(this.deps.dm.tree.get(objPathOf(r)), 'EUID'));
  }

  private claim(duPath: string): { duid: string; uuid: string; eeRef: string } {
    const du = this.deps.dm.tree.get(duPath);
    const duid = value(du, 'DUID');
    if (this.busy.has(duid))
      throw new SmmFaultError(SmmFault.InvalidDUState, `${ref(duPath)} is ${value(du, 'Status')}: another operation on it is in progress`);
    this.busy.add(duid);
    return { duid, uuid: value(du, 'UUID'), eeRef: value(du, 'ExecutionEnvRef') };
  }

  private setDu(duPath: string, values: Readonly<Record<string, string>>): Promise<void> {
    const dm = this.deps.dm;
    return dm.transaction((txn) => {
      if (dm.tree.get(duPath)) setValues(dm, txn, duPath, values);
    });
  }

  /** Update(): installs a new version of the DU; rolls back when its units do not start. */
  async update(duPath: string, input: CommandArgs, signal: AbortSignal): Promise<CommandArgs> {
    const { dm, disk, supervisor } = this.deps;
    const startMs = this.deps.clock.now();
    const { duid, uuid, eeRef } = this.claim(duPath);
    const du = dm.tree.get(duPath);
    const euRefs = value(du, 'ExecutionUnitList').split(',').filter(Boolean);
    let stage: string | undefined;
    try {
      this.deps.envs.usable(eeRef);
      const url = input['URL'] || value(du, 'URL');
      stage = await disk.staging();
      const { dir, manifest } = await this.fetch(url, input, stage, signal);
      const cur = await disk.current(duid);
      if (!cur) throw new SmmFaultError(SmmFault.InvalidDUState, `${ref(duPath)} has no installed version`);
      if (manifest.kind !== cur.manifest.kind)
        throw new SmmFaultError(SmmFault.ExecEnvMismatch, `the update is a '${manifest.kind}' DU; this one is '${cur.manifest.kind}'`);
      const names = (m: DuManifest): string =>
        m.units
          .map((u) => u.name)
          .sort()
          .join(',');
      if (names(manifest) !== names(cur.manifest))
        throw new SmmFaultError(SmmFault.ExecEnvMismatch, `the update must keep the execution units ${names(cur.manifest)} (it has ${names(manifest)})`);
      await this.setDu(duPath, { Status: 'Updating' });
      // TR-369 Appendix SMM: Active EUs are stopped for the update and started again after it.
      const euids = this.euids(duPath);
      const active = euids.filter((e) => supervisor.isRunning(e));
      for (const e of active) await supervisor.stop(e);
      const next = cur.n + 1;
      await disk.addVersion(duid, next, dir);
      await disk.setCurrent(duid, { n: next, manifest });
      const started: boolean[] = [];
      for (const e of active) started.push(await supervisor.start(e, 'request'));
      if (started.includes(false)) {
        const why = active.map((e) => value(dm.tree.get(supervisor.euPath(e) ?? ''), 'ExecutionFaultMessage')).find(Boolean) ?? 'a unit did not start';
        for (const e of active) await supervisor.stop(e);
        await disk.setCurrent(duid, cur);
        await disk.removeVersion(duid, next);
        for (const e of active) await supervisor.start(e, 'request');
        throw new SmmFaultError(SmmFault.RequestDenied, `version ${manifest.version} did not start (${why}); rolled back to ${cur.manifest.version}`);
      }
      await dm.transaction((txn) => {
        if (!dm.tree.get(duPath)) return;
        setValues(dm, txn, duPath, {
          Version: manifest.version,
          URL: url,
          Description: manifest.description,
          Vendor: manifest.vendor,
          LastUpdate: nowIso(this.deps.clock.now()),
          ...(input['ModuleVersion'] ? { ModuleVersion: input['ModuleVersion'] } : {}),
        });
        for (const r of euRefs) setValues(dm, txn, objPathOf(r), { Version: manifest.version, Vendor: manifest.vendor, Description: manifest.description });
      });
      await disk.removeVersion(duid, cur.n);
      await this.setDu(duPath, { Status: 'Installed' });
      this.report('Update', startMs, { uuid, path: duPath, version: manifest.version, euRefs }, 'Installed');
      return {};
    } catch (e) {
      await this.setDu(duPath, { Status: 'Installed' });
      this.report('Update', startMs, { uuid, path: duPath, version: value(dm.tree.get(duPath), 'Version'), euRefs }, 'Installed', e);
      throw e;
    } finally {
      this.busy.delete(duid);
      if (stage) await rm(stage, { recursive: true, force: true });
    }
  }

  /** Uninstall(): stops the DU's units (a running DU may be uninstalled), removes every file and the rows. */
  async uninstall(duPath: string): Promise<CommandArgs> {
    const { dm, disk, supervisor } = this.deps;
    const startMs = this.deps.clock.now();
    const { duid, uuid, eeRef } = this.claim(duPath);
    const du = dm.tree.get(duPath);
    const version = value(du, 'Version');
    const euRefs = value(du, 'ExecutionUnitList').split(',').filter(Boolean);
    try {
      await this.setDu(duPath, { Status: 'Uninstalling' });
      const euids = this.euids(duPath);
      for (const e of euids) await supervisor.stop(e);
      for (const [i, e] of euids.entries()) await supervisor.forget(e, value(dm.tree.get(objPathOf(euRefs[i] ?? '')), 'ExecEnvLabel'), eeRef);
      await disk.removeDu(duid);
      await dm.transaction((txn) => {
        for (const r of euRefs) deleteRow(dm, txn, objPathOf(r));
        deleteRow(dm, txn, duPath);
      });
      this.report('Uninstall', startMs, { uuid, path: duPath, version, euRefs }, 'Uninstalled');
      return {};
    } catch (e) {
      await this.setDu(duPath, { Status: 'Installed' });
      this.report('Uninstall', startMs, { uuid, path: duPath, version, euRefs }, 'Installed', e);
      throw e;
    } finally {
      this.busy.delete(duid);
    }
  }
}
