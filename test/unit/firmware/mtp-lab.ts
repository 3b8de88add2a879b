/**
 * The over-the-MTP firmware lab: `usp-agent start` as a child process (the lab firmware platform,
 * the lab reboot hook restarting the process) dialing a ws controller server with mutual TLS
 * (test/helpers/ws-notify.ts), and small helpers for what firmware tests ask that controller.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import type { usp } from '../../../proto/index.js';
import { exited, spawnTs } from '../../helpers/child.js';
import type { WsControllerServer } from '../../helpers/controller-ws.js';
import { controllerEntry, controllerServer, labPki } from '../../helpers/ws-notify.js';
import type { NotifyController } from '../../helpers/ws-notify.js';

const BIN = fileURLToPath(new URL('../../../bin/usp-agent.ts', import.meta.url));
export const AGENT = 'proto::fw-agent';
export const CTRL = 'proto::fw-ctrl';
export const CTRL_ROW = 'Device.LocalAgent.Controller.1.';
/** A restart is a new node + tsx process; allow for a slow shared machine. */
export const RESTART_MS = 60_000;

export interface Lab {
  readonly dir: string;
  readonly server: WsControllerServer;
  /** The running agent's pid is in this file. */
  readonly lockFile: string;
  readonly fwDir: string;
}

/** A lab folder, PKI, ws controller server and agent.json with the lab firmware platform (banks start at `1.0`). */
export async function fwLab(t: Test, firmware: Record<string, unknown> = {}): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'usp-fw-mtp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { pki, pem } = labPki(dir, AGENT, [CTRL]);
  const server = await controllerServer(t, CTRL, pem(CTRL));
  const config = {
    dataDir: 'data',
    endpointId: AGENT,
    tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
    mtps: [],
    controllers: [controllerEntry(CTRL, server)],
    firmware: { platform: 'lab', initialVersion: '1.0', ...firmware },
  };
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(config, null, 1));
  return { dir, server, lockFile: join(dir, 'data', 'usp-agent.db.lock'), fwDir: join(dir, 'data', 'firmware') };
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly log: () => string;
  /** SIGTERM to the started process; resolves with its exit code. */
  readonly stop: () => Promise<number | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `usp-agent start --config agent.json` in the lab; stopped at teardown, its log printed if the test failed. */
export function startAgent(t: Test, l: Lab): AgentProcess {
  const child = spawnTs(BIN, ['start', '--config', 'agent.json'], { cwd: l.dir });
  const done = exited(child);
  let log = '';
  child.stderr?.on('data', (d: string) => (log += d));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return (await done).code;
  };
  t.teardown(async () => {
    await stop();
    if (!t.passing()) console.error(log);
  });
  return { child, log: () => log, stop, exited: done };
}

/** Operate with send_resp=true: every operation result (a search path can match several objects). */
export async function operateAll(c: NotifyController, command: string, commandKey: string, inputArgs: Readonly<Record<string, string>>): Promise<usp.OperateResp.OperationResult.$Shape[]> {
  const r = await c.ok({ operate: { command, commandKey, sendResp: true, inputArgs: { ...inputArgs } } });
  return r.operateResp?.operationResults ?? [];
}

/** The parameters of the object `objPath` itself. */
export async function values(c: NotifyController, objPath: string): Promise<Record<string, string>> {
  return (await c.get(objPath))[objPath] ?? {};
}
