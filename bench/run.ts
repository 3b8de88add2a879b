/**
 * `npm run bench`: in-process decode → handle → encode figures for the core (issue: ≥ 20,000
 * Get/s for Device.DeviceInfo., GetSupportedDM of the whole tree under 50 ms), over a model of
 * at least 5,000 instantiated parameters. Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, openDataModel, SUPPORTED_USP_VERSIONS } from '../agent/agent.js';
import { ADMIN_REQUESTER } from '../agent/admin/server.js';
import { Dispatcher } from '../agent/dispatch.js';
import { SILENT_LOGGER } from '../agent/log.js';
import { loadTr181 } from '../datamodel/schema/index.js';
import { buildRequest, decodeMsg, encodeMsg } from '../proto/index.js';
import type { Request } from '../proto/index.js';
import type { Requester } from '../agent/handlers/context.js';
import { requesterFor } from '../agent/transport/controllers.js';
import { provisionBuiltinRoles } from '../agent/trust/builtin.js';
import { ControllerTrust } from '../agent/trust/trust.js';

const dir = mkdtempSync(join(tmpdir(), 'usp-agent-bench-'));
const config = { ...loadConfig(undefined, { dataDir: dir }), endpointId: 'proto::bench-agent' };
const dm = await openDataModel(config, { log: SILENT_LOGGER });
const dispatcher = new Dispatcher({ dm, log: SILENT_LOGGER, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri });

let id = 0;
async function roundTrip(req: Request, requester: Requester = ADMIN_REQUESTER): Promise<number> {
  const bytes = encodeMsg(buildRequest(`b${++id}`, req));
  const reply = await dispatcher.handle(decodeMsg(bytes), requester);
  if (!reply || reply.body?.error) throw new Error(`bench request failed: ${JSON.stringify(reply?.body?.error)}`);
  return encodeMsg(reply).length;
}

// Populate: controllers, each with MTP and BootParameter rows, until Device. holds ≥ 5,000 params.
const t0 = performance.now();
let controllers = 0;
for (;;) {
  const createObjs = [];
  for (let i = 0; i < 20; i++) {
    controllers++;
    createObjs.push({ objPath: 'Device.LocalAgent.Controller.', paramSettings: [{ param: 'EndpointID', value: `proto::ctrl-${controllers}`, required: true }] });
  }
  await roundTrip({ add: { allowPartial: false, createObjs } });
  const n = controllers;
  await roundTrip({
    add: {
      allowPartial: false,
      createObjs: Array.from({ length: 20 }, (_, i) => [
        { objPath: `Device.LocalAgent.Controller.${n - i}.MTP.`, paramSettings: [{ param: 'Protocol', value: 'MQTT', required: true }] },
        { objPath: `Device.LocalAgent.Controller.${n - i}.BootParameter.`, paramSettings: [{ param: 'ParameterName', value: 'Device.DeviceInfo.SoftwareVersion', required: true }] },
      ]).flat(),
    },
  });
  const reply = await dispatcher.handle(decodeMsg(encodeMsg(buildRequest('count', { get: { paramPaths: ['Device.'] } }))), ADMIN_REQUESTER);
  const total = (reply?.body?.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []).reduce((s, r) => s + Object.keys(r.resultParams ?? {}).length, 0);
  if (total >= 5000) {
    console.log(`model: ${controllers} controllers, ${dm.tree.size} object instances, ${total} parameters (built in ${(performance.now() - t0).toFixed(0)} ms)`);
    break;
  }
}

interface Figures {
  perSec: number;
  p50: number;
  p99: number;
  bytes: number;
}

async function measure(req: Request, seconds: number, requester: Requester = ADMIN_REQUESTER): Promise<Figures> {
  for (let i = 0; i < 200; i++) await roundTrip(req, requester); // warm-up (JIT, caches)
  const lat: number[] = [];
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    const s = performance.now();
    bytes = await roundTrip(req, requester);
    lat.push(performance.now() - s);
  }
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  return { perSec: lat.length / elapsed, p50: q(0.5), p99: q(0.99), bytes };
}

const show = (name: string, f: Figures): void =>
  console.log(`${name.padEnd(44)} ${f.perSec.toFixed(0).padStart(8)} req/s   p50 ${f.p50.toFixed(3)} ms   p99 ${f.p99.toFixed(3)} ms   reply ${f.bytes} B`);

const secs = Number(process.env.BENCH_SECONDS ?? 3);
show('Get Device.DeviceInfo.', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }, secs));
// The same Get as controllers with ControllerTrust roles (agent/trust): the built-in Full Access,
// and a role of three overlapping permissions (read all, hide one table, hide one parameter).
await dm.transaction((txn) => provisionBuiltinRoles(dm, txn));
const trust = new ControllerTrust(dm);
const setRole = (n: number, role: string): Promise<number> =>
  roundTrip({ set: { allowPartial: false, updateObjs: [{ objPath: `Device.LocalAgent.Controller.${n}.`, paramSettings: [{ param: 'Enable', value: 'true' }, { param: 'AssignedRole', value: role }] }] } });
await setRole(1, 'Device.LocalAgent.ControllerTrust.Role.1');
await roundTrip({ add: { allowPartial: false, createObjs: [{ objPath: 'Device.LocalAgent.ControllerTrust.Role.', paramSettings: [{ param: 'Name', value: 'Viewer' }, { param: 'Enable', value: 'true' }] }] } });
const perm = (order: number, targets: string, param: string) => ({
  objPath: 'Device.LocalAgent.ControllerTrust.Role.3.Permission.',
  paramSettings: Object.entries({ Enable: 'true', Order: String(order), Targets: targets, Param: param, Obj: 'r---', InstantiatedObj: 'r---' }).map(([k, value]) => ({ param: k, value })),
});
await roundTrip({ add: { allowPartial: false, createObjs: [perm(1, 'Device.', 'r---'), perm(2, 'Device.LocalAgent.Controller.', '----'), perm(3, 'Device.DeviceInfo.SerialNumber', '----')] } });
await setRole(2, 'Device.LocalAgent.ControllerTrust.Role.3');
const asController = (n: number): Requester => {
  const r = requesterFor(trust, `proto::ctrl-${n}`);
  if (!r) throw new Error(`controller ${n} is refused`);
  return r;
};
show('Get Device.DeviceInfo. (Full Access role)', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }, secs, asController(1)));
show('Get Device.DeviceInfo. (3-permission role)', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }, secs, asController(2)));
show('Get Device. (3-permission role)', await measure({ get: { paramPaths: ['Device.'] } }, secs, asController(2)));
show('Get Device.DeviceInfo.SoftwareVersion', await measure({ get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion'] } }, secs));
show('Get Device.LocalAgent.Controller.[EndpointID=="proto::ctrl-7"].', await measure({ get: { paramPaths: ['Device.LocalAgent.Controller.[EndpointID=="proto::ctrl-7"].'] } }, secs));
show('Get Device. (whole model)', await measure({ get: { paramPaths: ['Device.'] } }, secs));
show(
  'GetSupportedDM Device. (all params/cmds/events)',
  await measure({ getSupportedDm: { objPaths: ['Device.'], returnParams: true, returnCommands: true, returnEvents: true, returnUniqueKeySets: true } }, secs),
);
show('Set Device.DeviceInfo.ProvisioningCode', await measure({ set: { allowPartial: false, updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: 'bench', required: true }] }] } }, secs));
const mem = process.memoryUsage();
console.log(`memory: rss ${(mem.rss / 1048576).toFixed(1)} MiB, heap used ${(mem.heapUsed / 1048576).toFixed(1)} MiB`);

dm.store.close();
rmSync(dir, { recursive: true, force: true });
