/**
 * Shared set-up for the ControllerTrust tests: a real in-process agent with the built-in roles,
 * a ControllerTrust and requesters built exactly as the record router builds them.
 */
import type { Test } from 'tap';
import type { Requester } from '../../../agent/handlers/context.js';
import { provisionBuiltinRoles } from '../../../agent/trust/builtin.js';
import { ControllerTrust } from '../../../agent/trust/trust.js';
import { requesterFor } from '../../../agent/transport/controllers.js';
import type { AgentOptions } from '../../../agent/agent.js';
import type { Request, DecodedMsg } from '../../../proto/index.js';
import { freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

export const ROLE = 'Device.LocalAgent.ControllerTrust.Role.';
export const TRUST = 'Device.LocalAgent.ControllerTrust.';
export const FULL = `${ROLE}1`;
export const UNTRUSTED = `${ROLE}2`;

export interface TrustRig {
  readonly agent: TestAgent;
  readonly trust: ControllerTrust;
  /** Admin request (full rights). */
  admin(req: Request): Promise<DecodedMsg>;
  /** Request as controller `eid`, with the rights requesterFor gives it now. */
  as(eid: string, req: Request): Promise<DecodedMsg>;
  requester(eid: string): Requester | undefined;
  /** Adds a row as admin; returns its path. */
  add(table: string, settings: Record<string, string>): Promise<string>;
  set(obj: string, settings: Record<string, string>): Promise<void>;
}

export async function trustRig(t: Test, opts: AgentOptions = {}): Promise<TrustRig> {
  const { agent, cleanup } = await freshAgent(opts);
  const trust = new ControllerTrust(agent.dm);
  t.teardown(() => {
    trust.stop();
    cleanup();
  });
  await agent.dm.transaction((txn) => provisionBuiltinRoles(agent.dm, txn));
  const admin = (req: Request): Promise<DecodedMsg> => agent.request(req);
  const rig: TrustRig = {
    agent,
    trust,
    admin,
    requester: (eid) => requesterFor(trust, eid),
    async as(eid, req) {
      const r = requesterFor(trust, eid);
      if (!r) throw new Error(`${eid} is refused`);
      return agent.request(req, r);
    },
    async add(table, settings) {
      const r = await admin({ add: { allowPartial: false, createObjs: [{ objPath: table, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }] } });
      const path = r.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath;
      if (!path) throw new Error(`add ${table} failed: ${JSON.stringify(r.body)}`);
      return path;
    },
    async set(obj, settings) {
      const r = await admin({ set: { allowPartial: false, updateObjs: [{ objPath: obj, paramSettings: Object.entries(settings).map(([param, value]) => ({ param, value, required: true })) }] } });
      if (!r.body.response) throw new Error(`set ${obj} failed: ${JSON.stringify(r.body)}`);
    },
  };
  return rig;
}

/** A role with the given permissions (each: Targets and the four strings, Order = position + 1). */
export async function makeRole(rig: TrustRig, name: string, perms: { targets: string; param?: string; obj?: string; inst?: string; cmd?: string; order?: number }[]): Promise<string> {
  const role = await rig.add(ROLE, { Name: name, Enable: 'true' });
  for (const [i, p] of perms.entries()) {
    await rig.add(`${role}Permission.`, {
      Enable: 'true',
      Order: String(p.order ?? i + 1),
      Targets: p.targets,
      Param: p.param ?? '----',
      Obj: p.obj ?? '----',
      InstantiatedObj: p.inst ?? '----',
      CommandEvent: p.cmd ?? '----',
    });
  }
  return role.slice(0, -1);
}

/** A controller row with these roles (AssignedRole), enabled. */
export function makeController(rig: TrustRig, eid: string, roles: string[]): Promise<string> {
  return rig.add('Device.LocalAgent.Controller.', { EndpointID: eid, Enable: 'true', ...(roles.length > 0 && { AssignedRole: roles.join(',') }) });
}

/** Parameter names per resolved path of a Get reply. */
export function getParams(reply: DecodedMsg): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const rp of reply.body.response?.getResp?.reqPathResults ?? []) for (const r of rp.resolvedPathResults ?? []) out[r.resolvedPath ?? ''] = { ...r.resultParams };
  return out;
}
