/**
 * Who a controller is, from Device.LocalAgent.Controller.{i} and its ControllerTrust roles.
 * R-SEC.0: only controllers the agent knows (an enabled Controller row) are served; an unknown
 * Endpoint ID is refused, not given the UntrustedRole, because nothing then vouches for who it
 * is. A known controller without roles gets the UntrustedRole (agent/trust/trust.ts); one holding
 * the BannedRole is refused.
 *
 * R-SEC.1 (authorization before every action): the Requester's rights are looked up when a
 * handler uses them, inside the locked dispatch, not when the message arrived: a message queued
 * behind one that takes a role away, disables, bans or deletes the controller runs with what the
 * controller has by then (nothing, for the last three). The lookup is cached until the next
 * commit that touches ControllerTrust (ControllerTrust.generation), so the hot path stays a field read.
 */
import type { Requester } from '../handlers/context.js';
import { NO_ACCESS } from '../trust/access.js';
import type { Access } from '../trust/access.js';
import type { ControllerTrust } from '../trust/trust.js';

export function requesterFor(trust: ControllerTrust, endpointId: string): Requester | undefined {
  const c = trust.controllerRow(endpointId);
  if (!c || c.values.get('Enable') !== 'true') return undefined;
  const first = trust.rightsOf(c.path);
  if (first.banned) return undefined;
  const controllerPath = c.path;
  let gen = trust.generation;
  let now: { access: Access; readSecured: boolean } = first;
  const current = (): { access: Access; readSecured: boolean } => {
    if (gen === trust.generation) return now;
    gen = trust.generation;
    const row = trust.controllerRow(endpointId);
    const r = row?.path === controllerPath && row.values.get('Enable') === 'true' ? trust.rightsOf(controllerPath) : undefined;
    now = r && !r.banned ? r : { access: NO_ACCESS, readSecured: false };
    return now;
  };
  return {
    endpointId,
    controllerPath,
    get readSecured() {
      return current().readSecured;
    },
    get access() {
      return current().access;
    },
  };
}

