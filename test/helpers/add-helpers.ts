/**
 * Shared helpers of the Add tests (test/unit/agent/add*.test.ts): agents on a temporary SQLite
 * database, Add/Get through the real dispatcher, and reply shapes that compare exactly.
 */
import type { Test } from 'tap';
import type { AgentOptions } from '../../agent/agent.js';
import type { DecodedMsg } from '../../proto/index.js';
import { freshAgent } from './agent.js';
import type { TestAgent } from './agent.js';

/** One ParamSetting of a CreateObject. */
export interface Setting {
  readonly param: string;
  readonly value: string;
  readonly required?: boolean;
}
/** One CreateObject of an Add request. */
export interface CreateObj {
  readonly objPath: string;
  readonly paramSettings?: readonly Setting[];
}

/** The Subscription table, the main target of the Add tests. */
export const SUBS = 'Device.LocalAgent.Subscription.';

/** A fresh agent on a temporary database (with optional registrations), removed in teardown. */
export async function setup(t: Test, opts: AgentOptions = {}): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent(opts);
  t.teardown(cleanup);
  return agent;
}

/** Reopens the agent's database (a restart) and closes the new handle in teardown. */
export async function restart(t: Test, agent: TestAgent): Promise<TestAgent> {
  const again = await agent.reopen();
  t.teardown(() => again.close());
  return again;
}

/** Sends an Add request and returns the decoded reply. */
export function add(agent: TestAgent, allowPartial: boolean, createObjs: readonly CreateObj[]): Promise<DecodedMsg> {
  return agent.request({ add: { allowPartial, createObjs: createObjs.map((c) => ({ objPath: c.objPath, paramSettings: [...(c.paramSettings ?? [])] })) } });
}

/** Settings from a name → value map (none required). */
export const settings = (params: Record<string, string>): Setting[] => Object.entries(params).map(([param, value]) => ({ param, value }));

/** Wire-shaped JSON of the reply body with non-empty err_msg texts replaced by '…'. */
export function shape(reply: DecodedMsg): unknown {
  return JSON.parse(JSON.stringify(reply.body), (k, v: unknown) => (k === 'errMsg' && typeof v === 'string' && v !== '' ? '…' : v));
}

/** Instance paths of a table (or search path) via Get. */
export async function rows(agent: TestAgent, tablePath: string): Promise<string[]> {
  const reply = await agent.request({ get: { paramPaths: [tablePath], maxDepth: 1 } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  if (!r || r.errCode) throw new Error(`Get ${tablePath} failed: ${JSON.stringify(reply.body)}`);
  return (r.resolvedPathResults ?? []).map((x) => x.resolvedPath ?? '');
}

/** All params of one object instance via Get. */
export async function params(agent: TestAgent, objPath: string): Promise<Record<string, string>> {
  const reply = await agent.request({ get: { paramPaths: [objPath], maxDepth: 1 } });
  return { ...reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams };
}

/** A CreateObject for an enabled ValueChange Subscription with the given ID, plus `extra` settings. */
export const sub = (id: string, extra: readonly Setting[] = []): CreateObj => ({
  objPath: SUBS,
  paramSettings: [{ param: 'Enable', value: 'true' }, { param: 'ID', value: id }, { param: 'NotifType', value: 'ValueChange' }, ...extra],
});
