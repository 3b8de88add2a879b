/**
 * Controllers that hear notifications over the agent's WebSocket client MTP, for the
 * over-the-MTP notification tests: each one is a ws controller server (controller-ws.ts, mutual
 * TLS with the lab PKI) that the agent dials, wrapped in a TestController. The agent may run in
 * process (createAgent) or as a child process that restarts (Reboot(), FactoryReset()): requests
 * and reads always use the latest session, so the same controller object carries on after the
 * agent reconnects. Every wait is for a record, bounded by a timeout, never for time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../agent/config.js';
import type { AgentConfig } from '../../agent/config.js';
import { createLabPki } from '../../certs/pki.js';
import type { LabPki } from '../../certs/pki.js';
import { buildRecord, buildResponse, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { usp } from '../../proto/index.js';
import { TestController } from './controller.js';
import { startWsControllerServer } from './controller-ws.js';
import type { ControllerTransport, WsControllerServer } from './controller-ws.js';

export type Notify = usp.Notify.$Shape;
export const SUBS = 'Device.LocalAgent.Subscription.';

export interface ReceivedNotify {
  readonly msgId: string;
  readonly notify: Notify;
}

/** The controller side: a TestController on the agent's latest session. */
export class NotifyController {
  constructor(
    readonly tc: TestController,
    readonly server: WsControllerServer,
    readonly eid: string,
    readonly agentEid: string,
  ) {}

  /** The next Notify of any kind (connect records and other non-Notify records are skipped). */
  async nextAnyNotify(timeoutMs = 15_000): Promise<ReceivedNotify> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.tc.nextOther(Math.max(1, end - Date.now()));
      const notify = r.msg?.body.request?.notify;
      if (notify && r.msg) return { msgId: r.msg.header.msgId, notify };
    }
  }

  /** The next Notify that is not an OnBoardRequest; OnBoardRequests on the way are answered. */
  async nextNotify(timeoutMs = 15_000): Promise<ReceivedNotify> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.nextAnyNotify(Math.max(1, end - Date.now()));
      if (n.notify.notification !== 'onBoardReq') return n;
      await this.respond(n.msgId, '');
    }
  }

  /** Sends the NotifyResp for `msgId`. */
  respond(msgId: string, subscriptionId: string): Promise<void> {
    const payload = encodeMsg(buildResponse(msgId, { notifyResp: { subscriptionId } }));
    return this.server.send(encodeRecord(buildRecord({ toId: this.agentEid, fromId: this.eid, payload })));
  }

  /** Sends `req` and returns the Response (throws with the Error's text otherwise). */
  async ok(req: Parameters<TestController['request']>[0]): Promise<usp.Response.$Shape> {
    const r = await this.tc.request(req);
    if (r.body.msgBody !== 'response' || !r.body.response) throw new Error(`request failed: ${JSON.stringify(r.body.error)}`);
    return r.body.response;
  }

  /** Adds one row of `table`; returns its instance path. */
  async add(table: string, settings: Readonly<Record<string, string>>): Promise<string> {
    const r = await this.ok({
      add: { createObjs: [{ objPath: table, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }] },
    });
    const path = r.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
    if (!path) throw new Error(`add ${table} failed: ${JSON.stringify(r.addResp)}`);
    return path;
  }

  /** Adds an enabled subscription. */
  subscribe(settings: Readonly<Record<string, string>>): Promise<string> {
    return this.add(SUBS, { Enable: 'true', ...settings });
  }

  set(objPath: string, settings: Readonly<Record<string, string>>): Promise<usp.Response.$Shape> {
    return this.ok({ set: { updateObjs: [{ objPath, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value })) }] } });
  }

  /** Operate with send_resp=true; returns the one operation result. */
  async operate(command: string, commandKey: string, inputArgs: Readonly<Record<string, string>> = {}): Promise<usp.OperateResp.OperationResult.$Shape> {
    const r = await this.ok({ operate: { command, commandKey, sendResp: true, inputArgs: { ...inputArgs } } });
    const result = r.operateResp?.operationResults?.[0];
    if (!result) throw new Error(`no operation result for ${command}`);
    return result;
  }

  /** Values of one Get path, as resolved path → params. */
  async get(path: string): Promise<Record<string, Record<string, string>>> {
    const r = await this.ok({ get: { paramPaths: [path] } });
    const out: Record<string, Record<string, string>> = {};
    for (const res of r.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []) out[res.resolvedPath ?? ''] = { ...res.resultParams };
    return out;
  }

  /** Answers the OnBoardRequest that comes first from a configured controller row and completes onboarding (R-NOT.5/6). */
  async onboard(controllerPath: string): Promise<ReceivedNotify> {
    const ob = await this.nextAnyNotify();
    if (ob.notify.notification !== 'onBoardReq') throw new Error(`expected an OnBoardRequest, got ${ob.notify.notification ?? 'nothing'}`);
    await this.respond(ob.msgId, '');
    await this.set(controllerPath, { OnBoardingComplete: 'true' });
    return ob;
  }

  close(): Promise<void> {
    return this.tc.close();
  }
}

/**
 * The controller server as the TestController's transport, read in short waits: the
 * TestController reads in 60 s waits, which would keep the test process alive for a minute
 * after it closed. Records arriving between waits stay queued in the session.
 */
export function shortWaits(s: WsControllerServer): ControllerTransport {
  return { send: (b) => s.send(b), nextRecord: (ms = 5000) => s.nextRecord(Math.min(ms, 1000)), close: () => s.close() };
}

/** Lab PKI for one agent and its controllers, and the PEMs a controller server needs. */
export function labPki(
  dir: string,
  agentEid: string,
  controllerEids: string[],
): { pki: LabPki; pem: (eid: string) => { cert: Buffer; key: Buffer; ca: Buffer } } {
  const pki = createLabPki({ dir: join(dir, 'pki'), agentEndpointId: agentEid, controllerEndpointIds: controllerEids });
  const pem = (eid: string): { cert: Buffer; key: Buffer; ca: Buffer } => {
    const f = pki.controllers[eid];
    if (!f) throw new Error(`no certificate for ${eid}`);
    return { cert: readFileSync(f.cert), key: readFileSync(f.key), ca: readFileSync(pki.ca.cert) };
  };
  return { pki, pem };
}

/** Starts a mutual-TLS ws controller server for `eid`, closed at teardown. */
export async function controllerServer(t: Test, eid: string, tls: { cert: Buffer; key: Buffer; ca: Buffer }): Promise<WsControllerServer> {
  const s = await startWsControllerServer({ controllerEndpointId: eid, tls });
  t.teardown(() => s.close());
  return s;
}

/** The agent config entry of a controller reached through its ws server (reconnecting after 1 s at the least). */
export function controllerEntry(eid: string, server: WsControllerServer): { endpointId: string; mtps: Record<string, unknown>[] } {
  return { endpointId: eid, mtps: [{ protocol: 'WebSocket', host: '127.0.0.1', port: server.port, path: server.path, retryMinWait: 1 }] };
}

/** Config of an in-process agent in `dir` (data in `dir`/data) that dials only the given controller servers. */
export function inProcessConfig(dir: string, agentEid: string, pki: LabPki, servers: readonly WsControllerServer[]): AgentConfig {
  return loadConfig(undefined, {
    dataDir: join(dir, 'data'),
    sets: [
      `endpointId=${agentEid}`,
      `tls=${JSON.stringify({ cert: pki.agent.cert, key: pki.agent.key, ca: pki.ca.cert })}`,
      'mtps=[]',
      `controllers=${JSON.stringify(servers.map((s) => controllerEntry(s.opts.controllerEndpointId, s)))}`,
    ],
  });
}

/** Waits for the agent's next session on `server` and its WebSocketConnect record; the controller is closed at teardown. */
export async function acceptAgent(t: Test, server: WsControllerServer, eid: string, agentEid: string, timeoutMs = 30_000): Promise<NotifyController> {
  await server.nextSession(timeoutMs);
  const tc = new TestController(shortWaits(server), eid, agentEid);
  t.teardown(() => tc.close());
  await tc.nextOfType('websocketConnect', timeoutMs);
  return new NotifyController(tc, server, eid, agentEid);
}
