/**
 * Shared helpers of the Set tests (test/unit/agent/set*.test.ts): agents on a temporary SQLite
 * database, Set/Add/Get through the real dispatcher, and reply shapes that compare exactly.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Requester } from '../../agent/handlers/context.js';
import type { DecodedMsg } from '../../proto/index.js';
import { freshAgent, startTestAgent, tempConfig } from './agent.js';
import type { TestAgent } from './agent.js';

/** One ParamSetting of an UpdateObject. */
export interface Setting {
  readonly param: string;
  readonly value: string;
  readonly required?: boolean;
}
/** One UpdateObject of a Set request. */
export interface UpdateObj {
  readonly objPath: string;
  readonly paramSettings: readonly Setting[];
}

/** The two subscription rows made by twoSubscriptions(). */
export const S1 = 'Device.LocalAgent.Subscription.1.';
export const S2 = 'Device.LocalAgent.Subscription.2.';

/** A fresh agent on a temporary database, removed in teardown. */
export async function setup(t: Test): Promise<TestAgent> {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  return agent;
}

/** An agent whose MTP.1 was created by the agent itself (factory defaults), so its Alias is still unset. */
export async function setupAliaslessMtp(t: Test): Promise<TestAgent> {
  const { config, dir, cleanup } = tempConfig();
  t.teardown(cleanup);
  const defaults = join(dir, 'defaults.json');
  writeFileSync(defaults, JSON.stringify({ 'Device.LocalAgent.MTP.1.': { Protocol: 'MQTT' } }));
  const agent = await startTestAgent({ ...config, factoryDefaults: defaults }, dir);
  t.teardown(() => agent.close());
  return agent;
}

/** Reopens the agent's database (a restart) and closes the new handle in teardown. */
export async function restart(t: Test, agent: TestAgent): Promise<TestAgent> {
  const again = await agent.reopen();
  t.teardown(() => again.close());
  return again;
}

/** Sends a Set request (as the admin unless `requester` is given) and returns the decoded reply. */
export function set(agent: TestAgent, allowPartial: boolean, updateObjs: readonly UpdateObj[], requester?: Requester): Promise<DecodedMsg> {
  return agent.request({ set: { allowPartial, updateObjs: updateObjs.map((u) => ({ objPath: u.objPath, paramSettings: [...u.paramSettings] })) } }, requester);
}

/**
 * The reply body as wire-shaped JSON (fields at their default value are omitted, as on the
 * wire) with every non-empty err_msg replaced by '…', so whole replies compare exactly.
 */
export function shape(reply: DecodedMsg): unknown {
  return JSON.parse(JSON.stringify(reply.body), (k, v: unknown) => (k === 'errMsg' && typeof v === 'string' && v !== '' ? '…' : v));
}

/** Adds one row (allow_partial=false) and returns its instance path. */
export async function add(agent: TestAgent, objPath: string, params: Record<string, string> = {}): Promise<string> {
  const paramSettings = Object.entries(params).map(([param, value]) => ({ param, value }));
  const reply = await agent.request({ add: { allowPartial: false, createObjs: [{ objPath, paramSettings }] } });
  const path = reply.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
  if (!path) throw new Error(`Add ${objPath} failed: ${JSON.stringify(reply.body)}`);
  return path;
}

/** Values of one parameter path (may be a search path), keyed by resolved object path. */
export async function values(agent: TestAgent, paramPath: string): Promise<Record<string, string>> {
  const reply = await agent.request({ get: { paramPaths: [paramPath] } });
  const r = reply.body.response?.getResp?.reqPathResults?.[0];
  if (!r || r.errCode) throw new Error(`Get ${paramPath} failed: ${JSON.stringify(reply.body)}`);
  const name = paramPath.slice(paramPath.lastIndexOf('.') + 1);
  return Object.fromEntries((r.resolvedPathResults ?? []).map((x) => [x.resolvedPath ?? '', x.resultParams?.[name] ?? '']));
}

/** Everything the tests change, as one Get reply (no live clock values, so it is stable). */
export async function snapshot(agent: TestAgent): Promise<unknown> {
  const reply = await agent.request({
    get: {
      paramPaths: [
        'Device.LocalAgent.Subscription.',
        'Device.LocalAgent.Controller.',
        'Device.LocalAgent.MTP.',
        'Device.Time.LocalTimeZone',
        'Device.Time.Enable',
        'Device.DeviceInfo.ProvisioningCode',
      ],
    },
  });
  return JSON.parse(JSON.stringify(reply.body));
}

/** Adds Subscription.1 (ID s1) and Subscription.2 (ID s2), both ValueChange. */
export async function twoSubscriptions(agent: TestAgent): Promise<void> {
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 's1', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.SoftwareVersion' });
  await add(agent, 'Device.LocalAgent.Subscription.', { ID: 's2', NotifType: 'ValueChange', ReferenceList: 'Device.LocalAgent.EndpointID' });
}
