/**
 * Bulk Data collects with the profile Controller's rights everywhere a reference is read: a search
 * expression in a Parameter Reference (or an Exclude one) selects rows only by parameters the
 * controller may read, and HTTP.RequestURIParameter.{i}.Reference values it may not read are
 * left out of the Request-URI (agent/bulkdata/collect.ts, query.ts; USP-NOTES §11).
 */
import t from 'tap';
import { collect } from '../../../agent/bulkdata/collect.js';
import { uriQuery } from '../../../agent/bulkdata/query.js';
import { makeController, makeRole, trustRig } from './setup.js';

const CTRL = 'Device.LocalAgent.Controller.';

t.test("a profile's references cannot test or read what its Controller may not read", async (t) => {
  const rig = await trustRig(t);
  const role = await makeRole(rig, 'NoCode', [
    { targets: CTRL, param: 'r---', obj: 'r---', inst: 'r---', order: 1 },
    { targets: `${CTRL}*.ProvisioningCode`, param: '----', order: 2 },
  ]);
  const path = await makeController(rig, 'proto::collector', [role]);
  await rig.set(path, { ProvisioningCode: 'guess' });
  const r = rig.trust.rightsOf(path);
  const rights = { access: r.access, readSecured: r.readSecured };
  const names = async (reference: string, exclude?: string): Promise<string[]> => {
    const refs = [{ name: '', reference, exclude: false }, ...(exclude ? [{ name: '', reference: exclude, exclude: true }] : [])];
    return (await collect(rig.agent.dm, refs, -1, Date.now(), rights)).items.map((i) => i.name);
  };
  t.strictSame(await names(`${CTRL}[ProvisioningCode=="guess"].EndpointID`), [], 'a search on a hidden parameter matches nothing, even with the right value');
  t.strictSame(await names(`${CTRL}[EndpointID=="proto::collector"].EndpointID`), [`${path}EndpointID`], 'a search on a readable parameter works');
  t.strictSame(await names(`${CTRL}*.EndpointID`, `${CTRL}[ProvisioningCode=="guess"].EndpointID`), [`${path}EndpointID`], 'an Exclude search on a hidden parameter excludes nothing');
  const full = await collect(rig.agent.dm, [{ name: '', reference: `${CTRL}[ProvisioningCode=="guess"].EndpointID`, exclude: false }], -1, Date.now());
  t.strictSame(full.items.map((i) => i.name), [`${path}EndpointID`], 'a profile without a Controller still searches everything');

  const q = await uriQuery(
    rig.agent.dm,
    [
      { name: 'code', reference: `${path}ProvisioningCode` },
      { name: 'eid', reference: `${path}EndpointID` },
      { name: 'probe', reference: `${CTRL}[ProvisioningCode=="guess"].EndpointID` },
    ],
    rights,
  );
  const keys = q.map(([k]) => k);
  t.notOk(keys.includes('code'), 'a RequestURIParameter the controller may not read is left out');
  t.notOk(keys.includes('probe'), 'and so is one that searches by a hidden value');
  t.strictSame(
    q.find(([k]) => k === 'eid'),
    ['eid', 'proto::collector'],
    'a readable one is sent',
  );
  t.ok(keys.includes('oui') && keys.includes('sn'), 'the R-BULK.1 identity is always there');
});
