/**
 * Device.LocalAgent.Certificate.{i}: the certificates the agent uses for its MTPs (its own
 * and the trusted CAs), refreshed from the TLS files at every start. Rows are keyed by
 * SerialNumber + Issuer; the Alias says which file a row came from.
 */
import { describeCert } from '../../certs/x509.js';
import type { ObjInstance } from '../../datamodel/instances.js';
import type { DataModel } from '../../datamodel/model.js';
import type { Txn } from '../../datamodel/txn.js';
import { normalizeValue } from '../../datamodel/types.js';

/** PEM blocks of a bundle (a CA file may hold several certificates). */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function provisionCertificates(dm: DataModel, txn: Txn, certs: readonly { alias: string; pem: string }[]): void {
  const la = dm.tree.get('Device.LocalAgent.') as ObjInstance;
  const table = la.node.children.get('Certificate');
  if (!table) return;
  const keep = new Set<ObjInstance>();
  for (const { alias, pem } of certs) {
    const d = describeCert(pem);
    let row = [...la.rows('Certificate')].find((r) => r.values.get('SerialNumber') === d.serialNumber && r.values.get('Issuer') === d.issuer);
    if (!row) {
      row = txn.addRow(la, table);
      const set = (name: string, value: string): void => {
        const p = row?.node.params.get(name);
        if (p && row) txn.setValue(row, p, normalizeValue(p.def, value));
      };
      set('Alias', alias);
      set('Enable', 'true');
      set('SerialNumber', d.serialNumber);
      set('Issuer', d.issuer);
    }
    keep.add(row);
  }
  // Certificates no longer in the TLS files are gone from the table too.
  for (const r of [...la.rows('Certificate')]) if ((r.values.get('Alias') ?? '').startsWith('cfg-') && !keep.has(r)) txn.deleteRow(r);
}
