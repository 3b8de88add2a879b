/** Who a controller is, from Device.LocalAgent.Controller.{i} (R-SEC.0: only known controllers are served). */
import type { DataModel } from '../../datamodel/model.js';
import type { Requester } from '../handlers/context.js';

export function requesterFor(dm: DataModel, endpointId: string): Requester | undefined {
  for (const c of dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) {
    if (c.values.get('EndpointID') !== endpointId) continue;
    if (c.values.get('Enable') !== 'true') return undefined;
    // Secured values need a SecuredRoles role (ControllerTrust); until roles exist nobody gets them.
    return { endpointId, controllerPath: c.path, readSecured: false };
  }
  return undefined;
}
