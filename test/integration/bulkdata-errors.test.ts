/**
 * Bad Bulk Data profiles get USP errors (agent/bulkdata/objects.ts): ReportingInterval below
 * MinReportingInterval, unsupported Protocol/EncodingType, a URL that is not http(s), references
 * that are not paths or not in the supported data model (7012/7008/7026 per parameter, inside
 * 7021 when required), too many profiles or parameter references (7005); an incomplete enabled
 * profile sets Device.BulkData.Status to Error. The limits come from the config.
 */
import t from 'tap';
import { BULKDATA_DEFAULTS } from '../../agent/config-bulkdata.js';
import type { Request } from '../../proto/index.js';
import { tempConfig } from '../helpers/agent.js';
import { startBulkAgent } from '../unit/bulkdata/agent.js';
import type { BulkAgent } from '../unit/bulkdata/agent.js';

const settings = (o: Record<string, string>): { param: string; value: string; required: boolean }[] => Object.entries(o).map(([param, value]) => ({ param, value, required: true }));

/** The Error message's code and its per-parameter codes. */
async function failure(agent: BulkAgent, req: Request): Promise<{ code: number; params: Record<string, number> }> {
  const r = await agent.request(req);
  const e = r.body.error;
  if (!e) throw new Error(`expected an Error, got ${JSON.stringify(r.body.response)}`);
  return { code: e.errCode ?? 0, params: Object.fromEntries((e.paramErrs ?? []).map((p) => [p.paramPath ?? '', p.errCode ?? 0])) };
}

const addProfile = (s: Record<string, string>): Request => ({ add: { allowPartial: false, createObjs: [{ objPath: 'Device.BulkData.Profile.', paramSettings: settings(s) }] } });

t.test('bad profile settings get the USP error of the failing parameter', async (t) => {
  const { config, cleanup } = tempConfig({ bulkData: { ...BULKDATA_DEFAULTS, minReportingInterval: 300, maxProfiles: 2, maxParameterReferences: 3 } });
  t.teardown(cleanup);
  const agent = await startBulkAgent(config);
  t.teardown(() => agent.close());

  const get = async (path: string): Promise<string | undefined> =>
    (await agent.request({ get: { paramPaths: [path] } })).body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.[path.slice(path.lastIndexOf('.') + 1)];
  t.equal(await get('Device.BulkData.MinReportingInterval'), '300', 'limits from the config');
  t.equal(await get('Device.BulkData.MaxNumberOfProfiles'), '2');
  t.equal(await get('Device.BulkData.Protocols'), 'HTTP,USPEventNotif');
  t.equal(await get('Device.BulkData.EncodingTypes'), 'JSON,CSV');

  t.same(await failure(agent, addProfile({ ReportingInterval: '120' })), { code: 7021, params: { 'Device.BulkData.Profile.1.ReportingInterval': 7012 } }, 'interval below MinReportingInterval: 7012');
  t.same(await failure(agent, addProfile({ Protocol: 'Streaming' })), { code: 7021, params: { 'Device.BulkData.Profile.1.Protocol': 7012 } }, 'a protocol not in Protocols: 7012');
  t.same(await failure(agent, addProfile({ EncodingType: 'XML' })), { code: 7021, params: { 'Device.BulkData.Profile.1.EncodingType': 7012 } }, 'an encoding not in EncodingTypes: 7012');
  for (const url of ['not a url', 'ftp://collector.example.net/x', 'mailto:ops@example.net']) {
    t.same(await failure(agent, addProfile({ 'HTTP.URL': url })), { code: 7021, params: { 'Device.BulkData.Profile.1.HTTP.URL': 7012 } }, `bad URL '${url}': 7012`);
  }

  const add = await agent.request(addProfile({ Enable: 'true', Protocol: 'HTTP', EncodingType: 'JSON', ReportingInterval: '300', 'HTTP.URL': 'http://127.0.0.1:9/bulk' }));
  const profile = add.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
  t.equal(profile, 'Device.BulkData.Profile.1.', 'a good profile is created (the refused Adds left nothing behind)');
  t.equal(await get('Device.BulkData.Status'), 'Error', 'an enabled profile without parameters cannot run: Status Error');

  const set = (s: Record<string, string>): Request => ({ set: { allowPartial: false, updateObjs: [{ objPath: profile, paramSettings: settings(s) }] } });
  const setFail = await failure(agent, set({ ReportingInterval: '299' }));
  t.equal(setFail.params[`${profile}ReportingInterval`], 7012, 'Set below the minimum: 7012');

  const addRef = (ref: string): Request => ({ add: { allowPartial: false, createObjs: [{ objPath: `${profile}Parameter.`, paramSettings: settings({ Reference: ref }) }] } });
  const refCode = async (ref: string): Promise<number | undefined> => Object.values((await failure(agent, addRef(ref))).params)[0];
  t.equal(await refCode('Device.NoSuchObject.'), 7026, 'a reference outside the supported data model: 7026');
  t.equal(await refCode('Device.DeviceInfo.NoSuchParam'), 7026, 'an unknown parameter: 7026');
  t.equal(await refCode('Device..DeviceInfo.'), 7008, 'not a path: 7008');
  t.equal(await refCode('Device.Reboot()'), 7012, 'a command: 7012');

  for (const ref of ['Device.DeviceInfo.SerialNumber', 'Device.IP.Interface.*.Type', 'Device.MQTT.Client.[Status=="Connected"].']) {
    const r = await agent.request(addRef(ref));
    t.ok(r.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath, `'${ref}' is accepted even when nothing matches now`);
  }
  t.equal(await get('Device.BulkData.Status'), 'Enabled', 'a complete profile runs');
  const tooMany = await failure(agent, addRef('Device.DeviceInfo.ModelName'));
  t.equal(tooMany.code, 7005, 'beyond MaxNumberOfParameterReferences: 7005 Resources Exceeded');

  t.ok((await agent.request(addProfile({}))).body.response, 'a second profile');
  t.equal((await failure(agent, addProfile({}))).code, 7005, 'beyond MaxNumberOfProfiles: 7005 Resources Exceeded');
  t.equal(await get('Device.BulkData.ProfileNumberOfEntries'), '2');
});
