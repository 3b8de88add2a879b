/**
 * The Software Module Management lifecycle over a real MTP, shared by the process and runc
 * tests: the whole agent (createAgent) dials a ws controller with mutual TLS; the controller
 * subscribes to DUStateChange!, OperationComplete and EU Status changes, and drives
 * InstallDU → SetRequestedState Active/Idle → Update v2 → broken Update v3 (rolls back to v2)
 * → Uninstall of the running DU, while the test reads the EU's log to see the program really
 * ran and checks the disk is clean at the end. Waits are for notifications (or the log file)
 * with a timeout.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createAgent, loadConfig } from '../../agent/agent.js';
import type { Agent } from '../../agent/agent.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import { buildOciDu, buildProcessDu, fileSha256, script, serveFiles } from './smm-images.js';
import { acceptAgent, controllerEntry, controllerServer, labPki } from './ws-notify.js';
import type { NotifyController, ReceivedNotify } from './ws-notify.js';

const AGENT = 'proto::smm-agent';
const CTRL = 'proto::smm-ctrl';
const SM = 'Device.SoftwareModules.';

/** Notifications kept until a test step asks for them. */
class Inbox {
  private readonly kept: ReceivedNotify[] = [];
  constructor(private readonly c: NotifyController) {}

  async take(what: string, match: (n: ReceivedNotify) => boolean, timeoutMs = 20_000): Promise<ReceivedNotify> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.kept.findIndex(match);
      if (i >= 0) return this.kept.splice(i, 1)[0] as ReceivedNotify;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      this.kept.push(await this.c.nextNotify(Math.max(1, end - Date.now())));
    }
  }

  duState(op: string): Promise<Record<string, string>> {
    return this.take(
      `DUStateChange! ${op}`,
      (n) => n.notify.event?.eventName === 'DUStateChange!' && n.notify.event.params?.['OperationPerformed'] === op,
    ).then((n) => ({ ...n.notify.event?.params }));
  }

  opComplete(key: string): Promise<ReceivedNotify> {
    return this.take(`OperationComplete ${key}`, (n) => n.notify.operComplete?.commandKey === key);
  }

  /** Waits for EU Status `status` (a ValueChange). */
  async status(eu: string, status: string): Promise<void> {
    await this.take(`${eu} Status ${status}`, (n) => n.notify.valueChange?.paramPath === `${eu}.Status` && n.notify.valueChange.paramValue === status);
  }
}

/** Waits until the EU log contains `text` after position `from`; returns the log. */
async function logShows(file: string, text: string, from = 0, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const log = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (log.indexOf(text, from) >= 0) return log;
    if (Date.now() > end) throw new Error(`the log never showed '${text}'; it has:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Regular files and links under `dir`, relative. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir, { recursive: true }) as string[]) if (!statSync(join(dir, f), { throwIfNoEntry: false })?.isDirectory()) out.push(f);
  return out.sort();
}

export async function lifecycleOverMtp(t: Test, kind: 'process' | 'oci'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `usp-smm-${kind}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const images = join(dir, 'images');
  mkdirSync(images);
  const build = kind === 'process' ? buildProcessDu : buildOciDu;
  const v1 = build(images, { name: 'ticker', version: '1.0', script: script('ticker-v1') });
  const v2 = build(images, { name: 'ticker', version: '2.0', script: script('ticker-v2') });
  const v3 = build(images, { name: 'ticker', version: '3.0', script: script('ticker-v3', 3) });
  const http = await serveFiles(images);
  t.teardown(() => http.close());

  const { pki, pem } = labPki(dir, AGENT, [CTRL]);
  const server = await controllerServer(t, CTRL, pem(CTRL));
  const smmDir = join(dir, 'data', 'smm');
  const config = loadConfig(undefined, {
    dataDir: join(dir, 'data'),
    sets: [
      `endpointId=${AGENT}`,
      `tls=${JSON.stringify({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert })}`,
      'mtps=[]',
      `controllers=${JSON.stringify([controllerEntry(CTRL, server)])}`,
      `smm=${JSON.stringify({ startGraceMs: 400 })}`,
    ],
  });
  const agent: Agent = await createAgent(config, { log: SILENT_LOGGER });
  await agent.start();
  t.teardown(() => agent.stop());
  const c = await acceptAgent(t, server, CTRL, AGENT);
  await c.onboard('Device.LocalAgent.Controller.1.');
  const inbox = new Inbox(c);
  await c.subscribe({ ID: 'du', NotifType: 'Event', ReferenceList: `${SM}DUStateChange!` });
  await c.subscribe({ ID: 'ops', NotifType: 'OperationComplete', ReferenceList: SM });
  await c.subscribe({ ID: 'eu', NotifType: 'ValueChange', ReferenceList: `${SM}ExecutionUnit.*.Status` });

  const envs = await c.get(`${SM}ExecEnv.`);
  const eePath = Object.keys(envs).find((p) => envs[p]?.['Name'] === (kind === 'process' ? 'Processes' : 'OCI containers')) ?? '';
  t.equal(envs[eePath]?.['Status'], 'Up', `the ${kind} Execution Environment is Up`);
  const eeRef = eePath.slice(0, -1);

  let du = '';
  let eu = '';
  let log = '';
  await t.test('InstallDU → OperationComplete and DUStateChange! Installed', async (t) => {
    const res = await c.operate(`${SM}InstallDU()`, 'install-1', {
      URL: `${http.url(v1)}#sha256=${fileSha256(v1)}`,
      ExecutionEnvRef: eeRef,
      ShutdownDelay: '3',
    });
    t.match(res.reqObjPath ?? '', /^Device\.LocalAgent\.Request\.\d+$/, 'async: a Request row');
    const done = await inbox.opComplete('install-1');
    const out = { ...done.notify.operComplete?.reqOutputArgs?.outputArgs };
    t.strictSame([out['Version'], out['ExecEnvRef']], ['1.0', eeRef], 'output args Version and ExecEnvRef');
    t.match(out['UUID'] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a version 5 UUID (RFC 4122) when none was given');
    const ev = await inbox.duState('Install');
    t.strictSame([ev['CurrentState'], ev['Version'], ev['Resolved'], ev['Fault.FaultCode'], ev['UUID']], ['Installed', '1.0', 'true', '0', out['UUID']]);
    du = `${ev['DeploymentUnitRef'] ?? ''}.`;
    eu = ev['ExecutionUnitRefList'] ?? '';
    t.match(du, /^Device\.SoftwareModules\.DeploymentUnit\.\d+\.$/);
    t.match(eu, /^Device\.SoftwareModules\.ExecutionUnit\.\d+$/);
    const row = (await c.get(du))[du];
    t.strictSame(
      [row?.['Status'], row?.['Version'], row?.['ExecutionUnitList'], row?.['ExecutionEnvRef'], row?.['Name']],
      ['Installed', '1.0', eu, eeRef, 'ticker'],
    );
    const euRow = (await c.get(`${eu}.`))[`${eu}.`];
    t.strictSame([euRow?.['Status'], euRow?.['Version'], euRow?.['Name']], ['Idle', '1.0', 'ticker']);
    log = join(smmDir, 'logs', `${euRow?.['EUID'] ?? ''}.log`);
  });

  await t.test('SetRequestedState Active → the program runs (its output seen) → Idle stops it', async (t) => {
    await c.operate(`${eu}.SetRequestedState()`, 'run-1', { RequestedState: 'Active' });
    await inbox.status(eu, 'Active');
    t.match(await logShows(log, 'ticker-v1 tick 2'), /ticker-v1 started/, 'v1 printed to its log');
    t.equal((await c.get(`${eeRef}.ActiveExecutionUnits`))[`${eeRef}.`]?.['ActiveExecutionUnits'], eu, 'ExecEnv lists it as active');
    await c.operate(`${eu}.SetRequestedState()`, 'stop-1', { RequestedState: 'Idle' });
    await inbox.status(eu, 'Idle');
    await logShows(log, 'ticker-v1 stopping');
    t.pass('SIGTERM reached the program, which said goodbye');
    await c.operate(`${eu}.SetRequestedState()`, 'run-2', { RequestedState: 'Active' });
    await inbox.status(eu, 'Active');
  });

  await t.test('Update to 2.0: the running EU restarts on the new version', async (t) => {
    const mark = readFileSync(log, 'utf8').length;
    await c.operate(`${du}Update()`, 'update-2', { URL: http.url(v2) });
    const done = await inbox.opComplete('update-2');
    t.notOk(done.notify.operComplete?.cmdFailure, 'Update succeeded');
    const ev = await inbox.duState('Update');
    t.strictSame([ev['CurrentState'], ev['Version'], ev['Fault.FaultCode'], ev['ExecutionUnitRefList']], ['Installed', '2.0', '0', eu]);
    await logShows(log, 'ticker-v2 started', mark);
    const row = (await c.get(du))[du];
    t.strictSame([row?.['Version'], row?.['Status']], ['2.0', 'Installed']);
    t.equal((await c.get(`${eu}.`))[`${eu}.`]?.['Status'], 'Active', 'Active again');
  });

  await t.test('a broken 3.0 update rolls back to 2.0 and leaves the EU running 2.0', async (t) => {
    const mark = readFileSync(log, 'utf8').length;
    await c.operate(`${du}Update()`, 'update-3', { URL: http.url(v3) });
    const done = await inbox.opComplete('update-3');
    t.equal(done.notify.operComplete?.cmdFailure?.errCode, 7002, 'OperationComplete: failure 7002');
    t.match(done.notify.operComplete?.cmdFailure?.errMsg ?? '', /3\.0 did not start .*rolled back to 2\.0/);
    const ev = await inbox.duState('Update');
    t.strictSame(
      [ev['CurrentState'], ev['Version'], ev['Fault.FaultCode']],
      ['Installed', '2.0', '7002'],
      'DUStateChange!: still Installed at 2.0, with the fault',
    );
    const failed = (await logShows(log, 'ticker-v3 failing', mark)).indexOf('ticker-v3 failing', mark);
    await logShows(log, 'ticker-v2 started', failed);
    t.pass('v3 really ran and failed, then v2 started again');
    const row = (await c.get(du))[du];
    t.strictSame([row?.['Version'], row?.['Status']], ['2.0', 'Installed']);
    const euRow = (await c.get(`${eu}.`))[`${eu}.`];
    t.strictSame([euRow?.['Status'], euRow?.['Version']], ['Active', '2.0'], 'the EU is as it was before the update');
    const duid = row?.['DUID'] ?? '';
    t.strictSame(readdirSync(join(smmDir, 'du', duid)).sort(), ['2', 'current.json'], 'only the live version is on disk');
  });

  await t.test('Uninstall of the running DU stops it and removes every file', async (t) => {
    await c.operate(`${du}Uninstall()`, 'uninstall');
    const ev = await inbox.duState('Uninstall');
    t.strictSame([ev['CurrentState'], ev['Version'], ev['Fault.FaultCode'], ev['ExecutionUnitRefList']], ['Uninstalled', '2.0', '0', eu]);
    const done = await inbox.opComplete('uninstall');
    t.notOk(done.notify.operComplete?.cmdFailure, 'Uninstall succeeded');
    t.strictSame(await c.get(`${SM}DeploymentUnit.`), {}, 'no DU row');
    t.strictSame(await c.get(`${SM}ExecutionUnit.`), {}, 'no EU row');
    t.strictSame(filesUnder(smmDir), [], 'no file left under the SMM folder (DUs, logs, bundles, runtime state)');
  });
}
