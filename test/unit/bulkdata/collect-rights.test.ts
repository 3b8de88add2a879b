/**
 * A profile collects with its Controller's rights (TR-181 BulkData.Profile.{i}.Controller: "also
 * defines the set of permissions to use when generating the Bulk Data report"): parameters its
 * roles may not read are left out, secured values are empty unless SecuredRoles allow them; a
 * profile without a Controller collects everything, secured values empty.
 */
import t from 'tap';
import { collect } from '../../../agent/bulkdata/collect.js';
import { FULL_ACCESS, NO_ACCESS, READ } from '../../../agent/trust/access.js';
import type { Access } from '../../../agent/trust/access.js';
import { freshAgent } from '../../helpers/agent.js';

const DI = 'Device.DeviceInfo.';

t.test("collection honours the profile Controller's read rights", async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const refs = [
    { name: '', reference: `${DI}SerialNumber`, exclude: false },
    { name: '', reference: `${DI}Manufacturer`, exclude: false },
  ];
  const names = async (rights?: { access: Access; readSecured: boolean }): Promise<string[]> =>
    (await collect(agent.dm, refs, -1, Date.now(), rights)).items.map((i) => i.name);

  t.strictSame(await names(), [`${DI}SerialNumber`, `${DI}Manufacturer`], 'no Controller: everything');
  const noSerial: Access = { ...FULL_ACCESS, full: false, param: (obj, name) => (obj === DI && name === 'SerialNumber' ? 0 : READ) };
  t.strictSame(await names({ access: noSerial, readSecured: false }), [`${DI}Manufacturer`], 'a parameter the role hides is left out');
  t.strictSame(await names({ access: NO_ACCESS, readSecured: false }), [], 'no rights: an empty report');

  const secured = [{ name: 'Pw', reference: 'Device.LocalAgent.ControllerTrust.Challenge.', exclude: false }];
  await agent.request({
    add: { createObjs: [{ objPath: 'Device.LocalAgent.ControllerTrust.Challenge.', paramSettings: [{ param: 'Value', value: 'c2VjcmV0', required: true }] }] },
  });
  const value = async (readSecured: boolean): Promise<string | undefined> =>
    (await collect(agent.dm, secured, -1, Date.now(), { access: { ...FULL_ACCESS, full: false }, readSecured })).items.find((i) => i.name.endsWith('.Value'))
      ?.value;
  t.equal(await value(false), '', 'a secured value is empty without SecuredRoles');
  t.not(await value(true), '', 'and readable with them');
});
