/**
 * Software Module Management faults and restarts, with a real in-process agent (SQLite file,
 * dispatcher, Request table) and DUs served by a node:http server:
 * - bad input gets the TR-181 DUStateChange! fault (7004 userinfo, 7033 unreachable, 7035 bad
 *   checksum / hostile archive, 7223 unknown or unusable EE, 7225 mismatch, 7226 duplicate) and
 *   leaves nothing on disk;
 * - a running EU survives an agent restart (adopted), an AutoStart EU starts at start-up, a
 *   crash shows Idle with FailureWhileActive, and AutoRestart brings it back.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { EventSink, OperationResult } from '../../agent/notify/events.js';
import type { DataModel } from '../../datamodel/model.js';
import { startTestAgent, tempConfig } from '../helpers/agent.js';
import type { TestAgent } from '../helpers/agent.js';
import { buildOciDu, buildProcessDu, haveBusybox, script, serveFiles } from '../helpers/smm-images.js';
import { tarOf } from '../helpers/smm-tar.js';

t.setTimeout(60_000);
const SM = 'Device.SoftwareModules.';

class Sink implements EventSink {
  readonly duStates: Record<string, string>[] = [];
  private readonly ops = new Map<string, OperationResult>();
  private wake: (() => void) | undefined;
  event(_obj: string, name: string, params: Readonly<Record<string, string>>): void {
    if (name === 'DUStateChange!') this.duStates.push({ ...params });
  }
  operationComplete(_obj: string, _cmd: string, key: string, result: OperationResult): void {
    this.ops.set(key, result);
    this.wake?.();
  }
  onBoardRequest(): void {}
  async op(key: string, timeoutMs = 15_000): Promise<OperationResult> {
    const end = Date.now() + timeoutMs;
    while (!this.ops.has(key)) {
      if (Date.now() > end) throw new Error(`no OperationComplete for ${key}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
    return this.ops.get(key) as OperationResult;
  }
}

let seq = 0;
async function operate(
  agent: TestAgent,
  sink: Sink,
  command: string,
  inputArgs: Record<string, string>,
): Promise<{ result: OperationResult; du: Record<string, string> }> {
  const key = `k${++seq}`;
  const before = sink.duStates.length;
  await agent.request({ operate: { command, commandKey: key, sendResp: true, inputArgs } });
  const result = await sink.op(key);
  return { result, du: sink.duStates[before] ?? {} };
}

function val(dm: DataModel, path: string): string {
  const dot = path.lastIndexOf('.');
  return dm.tree.get(path.slice(0, dot + 1))?.values.get(path.slice(dot + 1)) ?? '';
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const skip = haveBusybox() ? false : 'needs /bin/busybox from busybox-static';

t.test('bad input: the spec’s fault in DUStateChange!, and nothing left behind', { skip }, async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  config.smm.runc = join(dir, 'no-such-runc');
  const images = join(dir, 'images');
  mkdirSync(images);
  const good = buildProcessDu(images, { name: 'quiet', version: '1.0', script: script('quiet') });
  const oci = buildOciDu(images, { name: 'boxed', version: '1.0', script: script('boxed') });
  writeFileSync(
    join(images, 'evil.tar'),
    tarOf([
      { name: 'manifest.json', data: '{}' },
      { name: '../../../../tmp/smm-evil', data: 'owned' },
    ]),
  );
  const http = await serveFiles(images);
  t.teardown(() => http.close());
  const sink = new Sink();
  const agent = await startTestAgent(config, dir, { events: sink });
  t.teardown(() => agent.close());
  const ee = (name: string): string =>
    ([...(agent.dm.tree.get(SM)?.rows('ExecEnv') ?? [])].find((r) => r.values.get('Name') === name)?.path ?? '').slice(0, -1);

  const eeStatus = async (name: string): Promise<string> => {
    const row = agent.dm.tree.get(`${ee(name)}.`);
    const p = row?.node.params.get('Status');
    return row && p ? agent.dm.read(row, p) : '';
  };
  t.equal(await eeStatus('Processes'), 'Up');
  t.equal(await eeStatus('OCI containers'), 'Error', 'runc missing: the OCI ExecEnv reports Error');

  const url = http.url(good);
  const cases: [string, Record<string, string>, number, RegExp][] = [
    ['userinfo in the URL', { URL: url.replace('http://', 'http://me:pw@') }, 7004, /userinfo/],
    ['unreachable server', { URL: 'http://127.0.0.1:9/none.tar.gz' }, 7033, /not reachable/],
    ['bad checksum', { URL: `${url}#sha256=${'0'.repeat(64)}` }, 7035, /checksum mismatch/],
    ['path traversal in the archive', { URL: http.url('evil.tar') }, 7035, /path traversal/],
    ['unknown ExecEnv', { URL: url, ExecutionEnvRef: `${SM}ExecEnv.99` }, 7223, /no Execution Environment/],
    ['runtime missing', { URL: http.url(oci), ExecutionEnvRef: ee('OCI containers') }, 7223, /is Error/],
    ['OCI image for the process EE', { URL: http.url(oci), ExecutionEnvRef: ee('Processes') }, 7225, /cannot run it/],
  ];
  for (const [what, args, code, msg] of cases) {
    const { result, du } = await operate(agent, sink, `${SM}InstallDU()`, args);
    t.equal(result.ok, false, `${what}: InstallDU fails`);
    t.strictSame(
      [du['CurrentState'], du['OperationPerformed'], du['Fault.FaultCode'], du['DeploymentUnitRef']],
      ['Failed', 'Install', String(code), ''],
      `${what}: DUStateChange! Failed with ${code}`,
    );
    t.match(du['Fault.FaultString'] ?? '', msg);
  }
  const uuid = '0f0e0d0c-0b0a-4908-8706-050403020100';
  const first = await operate(agent, sink, `${SM}InstallDU()`, { URL: url, UUID: uuid });
  t.equal(first.du['CurrentState'], 'Installed');
  const again = await operate(agent, sink, `${SM}InstallDU()`, { URL: url, UUID: uuid });
  t.strictSame([again.du['CurrentState'], again.du['Fault.FaultCode']], ['Failed', '7226'], 'the same UUID on the same EE again: 7226');
  t.strictSame(readdirSync(join(config.smm.dir, 'du')).length, 1, 'only the installed DU is on disk');
  t.strictSame(readdirSync(join(config.smm.dir, 'staging')), [], 'no staging leftovers');
  t.strictSame(
    readdirSync('/tmp').filter((f) => f === 'smm-evil'),
    [],
    'the hostile archive wrote nothing',
  );
});

t.test('restart: a running EU is adopted, AutoStart starts, a crash is Idle with a fault, AutoRestart restarts', { skip }, async (t) => {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  config.smm.runc = '';
  config.smm.startGraceMs = 300;
  const images = join(dir, 'images');
  mkdirSync(images);
  const http = await serveFiles(images);
  t.teardown(() => http.close());
  const a = buildProcessDu(images, { name: 'alpha', version: '1.0', script: script('alpha') });
  const b = buildProcessDu(images, { name: 'beta', version: '1.0', script: script('beta') });
  const sink = new Sink();
  let agent = await startTestAgent(config, dir, { events: sink });
  const eus: string[] = [];
  for (const [file, extra] of [
    [
      a,
      {
        'AutoRestart.Enable': 'true',
        'AutoRestart.RetryMinimumWaitInterval': '0',
        'AutoRestart.RetryMaximumWaitInterval': '1',
        'AutoRestart.RetryIntervalMultiplier': '2000',
      },
    ],
    [b, {}],
  ] as const) {
    const { du } = await operate(agent, sink, `${SM}InstallDU()`, { URL: http.url(file), ShutdownDelay: '1', ...extra });
    eus.push(`${du['ExecutionUnitRefList'] ?? ''}.`);
  }
  const [euA, euB] = eus as [string, string];
  const pidOf = (eu: string): number => Number(readFileSync(join(config.smm.dir, 'run', `${val(agent.dm, `${eu}ExecEnvLabel`)}.pid`), 'utf8').split(' ')[0]);
  t.teardown(async () => {
    for (const eu of eus)
      await agent
        .request({ operate: { command: `${eu}SetRequestedState()`, commandKey: 'x', sendResp: true, inputArgs: { RequestedState: 'Idle' } } })
        .catch(() => undefined);
    await until('stopped', () => eus.every((eu) => val(agent.dm, `${eu}Status`) === 'Idle')).catch(() => undefined);
    agent.close();
  });
  await agent.request({ operate: { command: `${euA}SetRequestedState()`, commandKey: 'a', sendResp: true, inputArgs: { RequestedState: 'Active' } } });
  await until('alpha Active', () => val(agent.dm, `${euA}Status`) === 'Active');
  await agent.request({ set: { updateObjs: [{ objPath: euB, paramSettings: [{ param: 'AutoStart', value: 'true', required: true }] }] } });
  const pid = pidOf(euA);

  agent = await agent.reopen({ events: sink });
  t.equal(val(agent.dm, `${euA}Status`), 'Active', 'after the restart alpha is Active: adopted');
  t.equal(pidOf(euA), pid, 'the same process, not a new one');
  await until('beta Active', () => val(agent.dm, `${euB}Status`) === 'Active');
  t.pass('beta (AutoStart=true) was started at start-up');

  // The adopted process dies: its exit status is unknown to the new agent.
  process.kill(-pid, 'SIGKILL');
  await until('alpha Idle', () => val(agent.dm, `${euA}Status`) === 'Idle' || val(agent.dm, `${euA}AutoRestart.RetryCount`) === '1');
  t.strictSame(
    [val(agent.dm, `${euA}ExecutionFaultCode`), val(agent.dm, `${euA}ExecutionFaultMessage`)],
    ['FailureWhileActive', 'exited (status unknown)'],
    'crash: Idle with FailureWhileActive',
  );
  await until('alpha restarted', () => val(agent.dm, `${euA}Status`) === 'Active' && pidOf(euA) !== pid);
  t.equal(val(agent.dm, `${euA}AutoRestart.RetryCount`), '1', 'AutoRestart brought it back (RetryCount 1)');

  // A crash of a unit this agent started: the signal is known.
  process.kill(-pidOf(euB), 'SIGKILL');
  await until('beta Idle', () => val(agent.dm, `${euB}Status`) === 'Idle');
  t.strictSame([val(agent.dm, `${euB}ExecutionFaultCode`), val(agent.dm, `${euB}ExecutionFaultMessage`)], ['FailureWhileActive', 'killed by SIGKILL']);
});
