/**
 * InheritedRole (TR-181 Controller.{i}.InheritedRole, ControllerTrust.Credential.{i}): the roles
 * a controller gets from the CA credential its certificate was validated with. The first enabled
 * Credential that matches decides (R-SEC.25), and only when its AllowedUses lets the CA
 * authenticate controllers (MTP-and-USP, or MTP-and-broker for a broker that vouches for them).
 *
 * A controller's certificates are the LocalAgent.Certificate rows its Credential parameter
 * names. A Credential matches when it names one of those rows, or when it names a CA of the
 * agent's trust bundle (rows `cfg-ca-N`, self-signed roots whose Issuer is their own subject)
 * that issued one of them. See docs/security.md for what this does not cover yet.
 */
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import { splitList } from '../../datamodel/types.js';
import { rolePath, TRUST_PATH } from './roles.js';

const ref = (s: string): string => (s.endsWith('.') ? s : `${s}.`);

/** Row paths of the roles controller `row` inherits. */
export function inheritedRoles(dm: DataModel, row: ObjInstance): string[] {
  const certs = splitList(row.values.get('Credential') ?? '')
    .filter((s) => s !== '')
    .flatMap((p) => dm.tree.get(ref(p)) ?? []);
  if (certs.length === 0) return [];
  for (const cred of dm.tree.get(TRUST_PATH)?.rows('Credential') ?? []) {
    if (cred.values.get('Enable') !== 'true') continue;
    const uses = cred.values.get('AllowedUses') ?? '';
    if (uses !== 'MTP-and-USP' && uses !== 'MTP-and-broker') continue;
    const ca = dm.tree.get(ref(cred.values.get('Credential') ?? ''));
    if (!ca) continue;
    const anchor = (ca.values.get('Alias') ?? '').startsWith('cfg-ca-');
    const issuer = ca.values.get('Issuer') ?? '';
    const matched = certs.some((c) => c === ca || (anchor && issuer !== '' && c.values.get('Issuer') === issuer));
    if (matched) return splitList(cred.values.get('Role') ?? '').filter((s) => s !== '').map(rolePath);
  }
  return [];
}
