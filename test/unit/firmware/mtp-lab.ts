/**
 * The over-the-MTP firmware lab: `usp-agent start` as a child process (the lab firmware platform,
 * the lab reboot hook restarting the process) dialing a ws controller server with mutual TLS, and
 * a controller that talks USP to it through that MTP. The controller uses the latest session, so
 * it carries on after the agent restarts. Every wait is for a record, bounded by a timeout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import { createLabPki } from '../../../certs/pki.js';
import type { LabPki } from '../../../certs/pki.js';
import { buildRecord, buildResponse, encodeMsg, encodeRecord } from '../../../proto/index.js';
import type { usp } from '../../../proto/index.js';
import { exited, spawnTs } from '../../helpers/child.js';
import { TestController } from '../../helpers/controller.js';
import { startWsControllerServer } from '../../helpers/controller-ws.js';
import type { WsControllerServer } from '../../helpers/controller-ws.js';

const BIN = fileURLToPath(new URL('../../../bin/usp-agent.ts', import.meta.url));
export const AGENT = 'proto::fw-agent';
export const CTRL = 'proto::fw-ctrl';
export const CTRL_ROW = 'Device.LocalAgent.Controller.1.';
/** A restart is a new node + tsx process; allow for a slow shared machine. */
export const RESTART_MS = 60_000;

export type Notify = usp.Notify.$Shape;
export interface ReceivedNotify {
  readonly msgId: string;
  readonly notify: Notify;
}

export interface Lab {
  readonly dir: string;
  readonly pki: LabPki;
  readonly server: WsControllerServer;
  /** The running agent's pid is in this file. */
  readonly lockFile: string;
  readonly fwDir: string;
}

/** A lab folder, PKI, ws controller server and agent.json (firmware banks start at `1.0`). */
export async function fwLab(t: Test, firmware: Record<string, unknown> = {}): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'usp-fw-mtp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = createLabPki({ dir: join(dir, 'pki'), agentEndpointId: AGENT, controllerEndpointIds: [CTRL] });
  const c = pki.controllers[CTRL];
  if (!c) throw new Error('no controller certificate');
  const server = await startWsControllerServer({ controllerEndpointId: CTRL, tls: { cert: readFileSync(c.cert), key: readFileSync(c.key), ca: readFileSync(pki.ca.cert) } });
  t.teardown(() => server.close());
  const config = {
    dataDir: 'data',
    endpointId: AGENT,
    tls: { cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert },
    mtps: [],
    controllers: [{ endpointId: CTRL, mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: server.port, path: server.path, retryMinWait: 1 }] }],
    firmware: { platform: 'lab', initialVersion: '1.0', ...firmware },
  };
  writeFileSync(join(dir, 'agent.json'), JSON.stringify(config, null, 1));
  return { dir, pki, server, lockFile: join(dir, 'data', 'usp-agent.db.lock'), fwDir: join(dir, 'data', 'firmware') };
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly log: () => string;
  /** SIGTERM to the started process; resolves with its exit code. */
  readonly stop: () => Promise<number | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `usp-agent start --config agent.json` in the lab; stopped at teardown. */
export function startAgent(t: Test, l: Lab): AgentProcess {
  const child = spawnTs(BIN, ['start', '--config', 'agent.json'], { cwd: l.dir });
  const done = exited(child);
  let log = '';
  child.stderr?.on('data', (d: string) => (log += d));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return (await done).code;
  };
  t.teardown(stop);
  return { child, log: () => log, stop, exited: done };
}

/** The controller side over the agent's latest session. */
export class FwController {
  constructor(
    readonly tc: TestController,
    readonly server: WsControllerServer,
  ) {}

  /** Waits for the agent's next session and its WebSocketConnect record. */
  static async accept(t: Test, server: WsControllerServer, timeoutMs = RESTART_MS): Promise<FwController> {
    await server.nextSession(timeoutMs);
    // Short reads: the TestController's 60 s waits would keep the test process alive after close.
    const tc = new TestController({ send: (b) => server.send(b), nextRecord: (ms = 5000) => server.nextRecord(Math.min(ms, 1000)), close: () => server.close() }, CTRL, AGENT);
    t.teardown(() => tc.close());
    await tc.nextOfType('websocketConnect', timeoutMs);
    return new FwController(tc, server);
  }

  /** The next Notify that is not an OnBoardRequest (those are answered on the way). */
  async nextNotify(timeoutMs = RESTART_MS): Promise<ReceivedNotify> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.tc.nextOther(Math.max(1, end - Date.now()));
      const notify = r.msg?.body.request?.notify;
      if (!notify || !r.msg) continue;
      if (notify.notification === 'onBoardReq') {
        await this.respond(r.msg.header.msgId);
        continue;
      }
      return { msgId: r.msg.header.msgId, notify };
    }
  }

  respond(msgId: string): Promise<void> {
    const payload = encodeMsg(buildResponse(msgId, { notifyResp: { subscriptionId: '' } }));
    return this.server.send(encodeRecord(buildRecord({ toId: AGENT, fromId: CTRL, payload })));
  }

  async ok(req: Parameters<TestController['request']>[0]): Promise<usp.Response.$Shape> {
    const r = await this.tc.request(req);
    if (r.body.msgBody !== 'response' || !r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
    return r.body.response;
  }

  async subscribe(settings: Readonly<Record<string, string>>): Promise<void> {
    const paramSettings = Object.entries({ Enable: 'true', Persistent: 'true', ...settings }).map(([param, value]) => ({ param, value, required: true }));
    await this.ok({ add: { createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings }] } });
  }

  async set(objPath: string, settings: Readonly<Record<string, string>>): Promise<void> {
    await this.ok({ set: { updateObjs: [{ objPath, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value })) }] } });
  }

  /** Operate with send_resp=true: every operation result (a search path can match several objects). */
  async operate(command: string, commandKey: string, inputArgs: Readonly<Record<string, string>>): Promise<usp.OperateResp.OperationResult.$Shape[]> {
    const r = await this.ok({ operate: { command, commandKey, sendResp: true, inputArgs: { ...inputArgs } } });
    return r.operateResp?.operationResults ?? [];
  }

  /** Parameters of `objPath` (one object, its own parameters). */
  async values(objPath: string): Promise<Record<string, string>> {
    const r = await this.ok({ get: { paramPaths: [objPath], maxDepth: 1 } });
    return { ...r.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams };
  }

  /** Answers the first OnBoardRequest and completes onboarding (R-NOT.5/6). */
  async onboard(): Promise<void> {
    for (;;) {
      const r = await this.tc.nextOther(RESTART_MS);
      const n = r.msg?.body.request?.notify;
      if (n?.notification === 'onBoardReq' && r.msg) {
        await this.respond(r.msg.header.msgId);
        break;
      }
    }
    await this.set(CTRL_ROW, { OnBoardingComplete: 'true' });
  }
}
