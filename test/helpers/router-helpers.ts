/**
 * Shared helpers of the record router tests (test/unit/agent/router*.test.ts): agents with the real
 * router, request Records from the controller, and checks of the reply envelope.
 */
import type { Test } from 'tap';
import type { AgentOptions } from '../../agent/agent.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord, USP_RECORD_VERSION } from '../../proto/index.js';
import type { DecodedMsg, DecodedRecord, Msg, Request } from '../../proto/index.js';
import { AGENT_EID, CONTROLLER_EID, freshAgent, startTestAgent, tempConfig } from './agent.js';
import type { TestAgent } from './agent.js';

/** A second controller (the first is CONTROLLER_EID). */
export const OTHER_CONTROLLER = 'proto::controller-2';
/** The Controller table. */
export const CTRL = 'Device.LocalAgent.Controller.';

/** A fresh agent (with optional registrations), removed in teardown. */
export async function agentFor(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

/** An agent with a non-default config (endpoint ID, limits), torn down with the test. */
export async function agentWith(t: Test, extra: Record<string, unknown>, opts: AgentOptions = {}): Promise<TestAgent> {
  const { config, dir, cleanup } = tempConfig(extra);
  const agent = await startTestAgent(config, dir, opts);
  t.teardown(() => {
    agent.close();
    cleanup();
  });
  return agent;
}

/** Record envelope fields a test may override. */
export interface Envelope {
  toId?: string;
  fromId?: string;
  version?: string;
}

/** A no_session_context Record carrying `msg`, from the controller to the agent unless overridden. */
export function recordOf(msg: Msg | Uint8Array, env: Envelope = {}): Uint8Array {
  const payload = msg instanceof Uint8Array ? msg : encodeMsg(msg);
  const rec = buildRecord({ toId: env.toId ?? AGENT_EID, fromId: env.fromId ?? CONTROLLER_EID, payload });
  return encodeRecord(env.version === undefined ? rec : { ...rec, version: env.version });
}

/** A Record carrying a request Msg with `msgId`. */
export const requestRecord = (msgId: string, req: Request, env: Envelope = {}): Uint8Array => recordOf(buildRequest(msgId, req), env);

/** Decodes a reply Record and checks the envelope every reply must have; returns record and Msg. */
export function openReply(t: Test, bytes: Uint8Array | undefined, to: string, what: string): { rec: DecodedRecord; msg: DecodedMsg } | undefined {
  if (bytes === undefined) {
    t.fail(`${what}: expected a reply record`);
    return undefined;
  }
  const rec = decodeRecord(bytes);
  t.equal(rec.version, USP_RECORD_VERSION, `${what}: record version 1.4`);
  t.equal(rec.toId, to, `${what}: addressed back to the sender`);
  t.equal(rec.fromId, AGENT_EID, `${what}: from the agent`);
  t.equal(rec.recordType, 'noSessionContext', `${what}: same record type as the request (R-MSG.0a)`);
  const msg = decodeMsg(rec.noSessionContext?.payload ?? new Uint8Array());
  return { rec, msg };
}

/** Checks that `bytes` is an Error reply to `msgId` with err_code `code`. */
export function expectErrorReply(t: Test, bytes: Uint8Array | undefined, msgId: string, code: number, what: string, to = CONTROLLER_EID): void {
  const r = openReply(t, bytes, to, what);
  t.equal(r?.msg.body.msgBody, 'error', `${what}: an Error message`);
  t.equal(r?.msg.header.msgId, msgId, `${what}: carries the msg_id`);
  t.equal(r?.msg.body.error?.errCode, code, `${what}: err_code ${code}`);
}

/** Instance paths of the Controller rows, read with a real GetInstances request. */
export async function controllers(agent: TestAgent): Promise<string[]> {
  const reply = await agent.request({ getInstances: { objPaths: [CTRL], firstLevelOnly: true } });
  return (reply.body.response?.getInstancesResp?.reqPathResults?.[0]?.currInsts ?? []).map((c) => c.instantiatedObjPath ?? '');
}

/** An Add that creates a Controller row: sent where it must be ignored, it proves nothing ran. */
export const ADD_CONTROLLER = (eid: string): Request => ({
  add: { allowPartial: false, createObjs: [{ objPath: CTRL, paramSettings: [{ param: 'EndpointID', value: eid, required: true }] }] },
});
