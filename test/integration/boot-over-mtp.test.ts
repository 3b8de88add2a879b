/**
 * Device.Boot! over a real MTP after Reboot() and FactoryReset() (TR-181 Device.Boot!,
 * USP-NOTES §9, TP-469 9.10, 1.61): `usp-agent start` runs as a child process and dials a ws
 * controller (mutual TLS); the controller sends the Operate over that MTP, the agent answers, the
 * lab reboot hook restarts the process, it reconnects and the Boot! Notify arrives over the MTP.
 *
 * After a factory reset the database holds the factory defaults only: subscriptions a controller
 * made are gone, so a Boot! can reach a controller only through a subscription in the factory
 * defaults (as with every other setting, TR-181 keeps nothing else across a factory reset), and
 * the controller learns it must provision the agent again from the OnBoardRequest, since
 * OnBoardingComplete is back to false (R-NOT.5/6). The second test checks both.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Test } from 'tap';
import { exited, spawnTs } from '../helpers/child.js';
import { acceptAgent, controllerEntry, controllerServer, labPki } from '../helpers/ws-notify.js';
import type { NotifyController, ReceivedNotify } from '../helpers/ws-notify.js';
import type { WsControllerServer } from '../helpers/controller-ws.js';

t.setTimeout(180_000);

const BIN = fileURLToPath(new URL('../../bin/usp-agent.ts', import.meta.url));
const AGENT = 'proto::boot-agent';
const CTRL = 'proto::boot-ctrl';
const CTRL_ROW = 'Device.LocalAgent.Controller.1.';
const SERIAL = 'BOOT0001';
const PRODUCT_CLASS = 'BootLab';
/** Restarting means a new node + tsx process; allow for a slow, shared CI machine. */
const RESTART_MS = 60_000;

interface Lab {
  readonly dir: string;
  readonly server: WsControllerServer;
  /** The agent's database lock file, holding the running agent's pid. */
  readonly lockFile: string;
}

/** A lab folder, PKI, ws controller server and config file; `factoryDefaults` is written next to it when given. */
async function lab(t: Test, factoryDefaults?: Record<string, Record<string, string>>): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'usp-boot-mtp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [CTRL]);
  const server = await controllerServer(t, CTRL, pem(CTRL));
  if (factoryDefaults) writeFileSync(join(dir, 'factory.json'), JSON.stringify(factoryDefaults, null, 1));
  const config = {
    dataDir: 'data',
    endpointId: AGENT,
    identity: { serialNumber: SERIAL, productClass: PRODUCT_CLASS },
    tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
    mtps: [],
    controllers: [controllerEntry(CTRL, server)],
    ...(factoryDefaults && { factoryDefaults: 'factory.json' }),
  };
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(config, null, 1));
  return { dir, server, lockFile: join(dir, 'data', 'usp-agent.db.lock') };
}

interface AgentProcess {
  readonly log: () => string;
  /** SIGTERM to the started process; resolves with its exit code. */
  readonly stop: () => Promise<number | null>;
}

/** Starts `usp-agent start --config agent.json` in the lab; killed at teardown if the test did not stop it. */
function startAgent(t: Test, l: Lab): AgentProcess {
  const child = spawnTs(BIN, ['start', '--config', 'agent.json'], { cwd: l.dir });
  const done = exited(child);
  let log = '';
  child.stderr?.on('data', (d: string) => (log += d));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return (await done).code;
  };
  t.teardown(stop);
  return { log: () => log, stop };
}

/** The next `n` Notify messages, in arrival order (OnBoardRequests included, not answered). */
async function notifies(c: NotifyController, n: number): Promise<ReceivedNotify[]> {
  const out: ReceivedNotify[] = [];
  while (out.length < n) out.push(await c.nextAnyNotify(RESTART_MS));
  return out;
}

function bootOf(ns: readonly ReceivedNotify[]): ReceivedNotify | undefined {
  return ns.find((n) => n.notify.event?.eventName === 'Boot!');
}

t.test('Reboot() over the MTP: the agent restarts and Boot! arrives with Cause, CommandKey and ParameterMap (TP-469 9.10)', async (t) => {
  const l = await lab(t);
  const agent = startAgent(t, l);
  const c = await acceptAgent(t, l.server, CTRL, AGENT, RESTART_MS);
  await c.onboard(CTRL_ROW);
  // The controller's boot parameters: one parameter, and a wildcard over its own table.
  await c.add(`${CTRL_ROW}BootParameter.`, { Enable: 'true', ParameterName: 'Device.DeviceInfo.ProductClass' });
  await c.add(`${CTRL_ROW}BootParameter.`, { Enable: 'true', ParameterName: 'Device.LocalAgent.Controller.*.EndpointID' });
  await c.add(`${CTRL_ROW}BootParameter.`, { Enable: 'false', ParameterName: 'Device.DeviceInfo.SerialNumber' });
  await c.subscribe({ ID: 'boot', NotifType: 'Event', ReferenceList: 'Device.Boot!', Persistent: 'true' });
  const firstPid = Number(readFileSync(l.lockFile, 'utf8'));

  const res = await c.operate('Device.Reboot()', 'reboot-key-7', { Reason: 'lab test' });
  t.strictSame({ ...res.reqOutputArgs?.outputArgs }, {}, 'OperateResp (empty output args) before going down (TP-469 1.61)');

  await l.server.nextSession(RESTART_MS);
  const boot = await c.nextNotify(RESTART_MS);
  t.not(Number(readFileSync(l.lockFile, 'utf8')), firstPid, 'the Boot! comes from a new agent process');
  t.equal(boot.notify.subscriptionId, 'boot', "through the controller's Persistent subscription, which survived the restart");
  t.strictSame([boot.notify.event?.objPath, boot.notify.event?.eventName], ['Device.', 'Boot!']);
  const params = { ...boot.notify.event?.params };
  t.strictSame(
    [params['Cause'], params['CommandKey'], params['Reason'], params['FirmwareUpdated']],
    ['RemoteReboot', 'reboot-key-7', 'lab test', 'false'],
    'Cause=RemoteReboot (no Cause input), the command_key and Reason of the Reboot(), FirmwareUpdated=false',
  );
  t.strictSame(
    JSON.parse(params['ParameterMap'] ?? '{}'),
    { 'Device.DeviceInfo.ProductClass': PRODUCT_CLASS, [`${CTRL_ROW}EndpointID`]: CTRL },
    'ParameterMap: the values the enabled BootParameter rows name (the disabled one left out)',
  );
  t.match(agent.log(), /HOOK-I01 agent restarted as process/, 'restarted by the lab reboot hook');
  t.equal(await agent.stop(), 0, 'SIGTERM still stops the restarted agent and its supervising process cleanly');
});

t.test('FactoryReset() over the MTP: Boot! with RemoteFactoryReset through the factory-default subscription, and onboarding again', async (t) => {
  const l = await lab(t, {
    'Device.Time.': { Enable: 'true', LocalTimeZone: 'UTC' },
    [CTRL_ROW]: { EndpointID: CTRL, Enable: 'true' },
    [`${CTRL_ROW}BootParameter.1.`]: { Enable: 'true', ParameterName: 'Device.DeviceInfo.SerialNumber' },
    'Device.LocalAgent.Subscription.1.': {
      Enable: 'true',
      ID: 'factory-boot',
      Recipient: CTRL_ROW.slice(0, -1),
      NotifType: 'Event',
      ReferenceList: 'Device.Boot!',
      Persistent: 'true',
    },
  });
  const agent = startAgent(t, l);
  const c = await acceptAgent(t, l.server, CTRL, AGENT, RESTART_MS);
  // First start on a new database: the factory subscription already brings a Boot!, and the
  // configured controller is asked to onboard.
  const first = await notifies(c, 2);
  const ob = first.find((n) => n.notify.notification === 'onBoardReq');
  t.ok(ob, 'an OnBoardRequest on the first start');
  await c.respond(ob?.msgId ?? '', '');
  t.equal(bootOf(first)?.notify.event?.params?.['Cause'], 'LocalReboot', 'a first start with nothing recorded is a LocalReboot');
  await c.set(CTRL_ROW, { OnBoardingComplete: 'true' });
  // What the controller provisions over USP, all of which the factory reset must undo.
  await c.subscribe({ ID: 'mine', NotifType: 'Event', ReferenceList: 'Device.Boot!', Persistent: 'true' });
  await c.add(`${CTRL_ROW}BootParameter.`, { Enable: 'true', ParameterName: 'Device.DeviceInfo.ProductClass' });
  await c.set('Device.Time.', { LocalTimeZone: 'Europe/Paris' });

  const res = await c.operate('Device.FactoryReset()', 'reset-key-3');
  t.strictSame({ ...res.reqOutputArgs?.outputArgs }, {}, 'OperateResp before going down');

  await l.server.nextSession(RESTART_MS);
  const after = await notifies(c, 2);
  const boot = bootOf(after);
  t.equal(boot?.notify.subscriptionId, 'factory-boot', 'the Boot! comes through the factory-default subscription only');
  const params = { ...boot?.notify.event?.params };
  t.strictSame(
    [params['Cause'], params['CommandKey'], params['Reason'], params['FirmwareUpdated']],
    ['RemoteFactoryReset', 'reset-key-3', 'Unknown', 'false'],
    'Cause=RemoteFactoryReset and the command_key survive the wipe of the database; no Reason input: "Unknown" (TR-181 2.18)',
  );
  t.strictSame(
    JSON.parse(params['ParameterMap'] ?? '{}'),
    { 'Device.DeviceInfo.SerialNumber': SERIAL },
    "ParameterMap from the factory BootParameter row; the controller's own row is gone",
  );
  const again = after.find((n) => n.notify.notification === 'onBoardReq');
  t.ok(again, 'OnBoardingComplete is false again: the controller is asked to onboard (R-NOT.5/6)');
  await c.respond(again?.msgId ?? '', '');
  const subs = await c.get('Device.LocalAgent.Subscription.*.ID');
  t.strictSame(
    Object.values(subs).map((p) => p['ID']),
    ['factory-boot'],
    "the controller's own subscription was wiped by the factory reset",
  );
  const tz = await c.get('Device.Time.LocalTimeZone');
  t.equal(tz['Device.Time.']?.['LocalTimeZone'], 'UTC', 'settings are back to the factory defaults');
  t.equal(await agent.stop(), 0, 'SIGTERM stops the agent cleanly');
});
