/**
 * Who a controller is, from Device.LocalAgent.Controller.{i} and its ControllerTrust roles.
 * R-SEC.0: only controllers the agent knows (an enabled Controller row) are served; an unknown
 * Endpoint ID is refused, not given the UntrustedRole, because nothing then vouches for who it
 * is. A known controller without roles gets the UntrustedRole (agent/trust/trust.ts); one holding
 * the BannedRole is refused.
 */
import type { Requester } from '../handlers/context.js';
import type { ControllerTrust } from '../trust/trust.js';

export function requesterFor(trust: ControllerTrust, endpointId: string): Requester | undefined {
  const c = trust.controllerRow(endpointId);
  if (!c || c.values.get('Enable') !== 'true') return undefined;
  const rights = trust.rightsOf(c.path);
  if (rights.banned) return undefined;
  return { endpointId, controllerPath: c.path, readSecured: rights.readSecured, access: rights.access };
}
