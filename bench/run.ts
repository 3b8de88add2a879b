/**
 * In-process decode → handle → encode figures for the core (issue: ≥ 20,000 Get/s for
 * Device.DeviceInfo., GetSupportedDM of the whole tree under 50 ms), over a model of at least
 * 5,000 instantiated parameters. Part of `npm run bench` (bench/suite.ts); alone:
 * `npm run bench:core`. Prints figures and returns them; asserts nothing.
 *
 * Device.DeviceInfo. includes the live ProcessStatus.Process. table (one row per process of the
 * host, read from /proc), so its Get is dominated by that table; the row "minus the
 * ProcessStatus.Process. table" Gets every other part of DeviceInfo (its parameters and its
 * other sub-objects, named one by one), to compare with figures from before the table existed.
 *
 * Env: BENCH_SECONDS per row (default 3).
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
import { aimMax, aimMin, isMain, latency, quantile } from './figures.js';
import type { Figure } from './figures.js';

interface Measured {
  perSec: number;
  p50: number;
  p99: number;
  bytes: number;
}

/** Runs the in-process rows; prints each as it is measured and returns the figures for the suite's table. */
export async function benchCore(opts: { seconds?: number } = {}): Promise<Figure[]> {
  const secs = opts.seconds ?? Number(process.env.BENCH_SECONDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'usp-agent-bench-'));
  const config = { ...loadConfig(undefined, { dataDir: dir }), endpointId: 'proto::bench-agent' };
  const dm = await openDataModel(config, { log: SILENT_LOGGER });
  const dispatcher = new Dispatcher({ dm, log: SILENT_LOGGER, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri });
  try {
    let id = 0;
    const handle = async (req: Request, requester: Requester = ADMIN_REQUESTER) => {
      const reply = await dispatcher.handle(decodeMsg(encodeMsg(buildRequest(`b${++id}`, req))), requester);
      if (!reply || reply.body?.error) throw new Error(`bench request failed: ${JSON.stringify(reply?.body?.error)}`);
      return reply;
    };
    const roundTrip = async (req: Request, requester: Requester = ADMIN_REQUESTER): Promise<number> => encodeMsg(await handle(req, requester)).length;
    const getResults = async (path: string) =>
      (await handle({ get: { paramPaths: [path] } })).body?.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? [];

    // Populate: controllers, each with MTP and BootParameter rows, until Device. holds ≥ 5,000 params.
    const t0 = performance.now();
    let controllers = 0;
    for (;;) {
      const createObjs = [];
      for (let i = 0; i < 20; i++) {
        controllers++;
        createObjs.push({
          objPath: 'Device.LocalAgent.Controller.',
          paramSettings: [{ param: 'EndpointID', value: `proto::ctrl-${controllers}`, required: true }],
        });
      }
      await roundTrip({ add: { allowPartial: false, createObjs } });
      const n = controllers;
      await roundTrip({
        add: {
          allowPartial: false,
          createObjs: Array.from({ length: 20 }, (_, i) => [
            { objPath: `Device.LocalAgent.Controller.${n - i}.MTP.`, paramSettings: [{ param: 'Protocol', value: 'MQTT', required: true }] },
            {
              objPath: `Device.LocalAgent.Controller.${n - i}.BootParameter.`,
              paramSettings: [{ param: 'ParameterName', value: 'Device.DeviceInfo.SoftwareVersion', required: true }],
            },
          ]).flat(),
        },
      });
      const total = (await getResults('Device.')).reduce((s, r) => s + Object.keys(r.resultParams ?? {}).length, 0);
      if (total >= 5000) {
        console.log(
          `model: ${controllers} controllers, ${dm.tree.size} object instances, ${total} parameters (built in ${(performance.now() - t0).toFixed(0)} ms)`,
        );
        break;
      }
    }

    const measure = async (req: Request, requester: Requester = ADMIN_REQUESTER): Promise<Measured> => {
      for (let i = 0; i < 200; i++) await roundTrip(req, requester); // warm-up (JIT, caches)
      const lat: number[] = [];
      let bytes = 0;
      const start = performance.now();
      const end = start + secs * 1000;
      while (performance.now() < end) {
        const s = performance.now();
        bytes = await roundTrip(req, requester);
        lat.push(performance.now() - s);
      }
      const elapsed = (performance.now() - start) / 1000;
      lat.sort((a, b) => a - b);
      return { perSec: lat.length / elapsed, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), bytes };
    };
    const show = (name: string, f: Measured): Measured => {
      console.log(`${name.padEnd(52)} ${f.perSec.toFixed(0).padStart(8)} req/s   p50 ${f.p50.toFixed(3)} ms   p99 ${f.p99.toFixed(3)} ms   reply ${f.bytes} B`);
      return f;
    };
    const row = (metric: string, m: Measured, aim?: Figure['aim']): Figure => ({
      metric,
      value: m.perSec,
      unit: 'req/s',
      detail: `${latency(m.p50, m.p99)}; reply ${m.bytes} B`,
      ...(aim && { aim }),
    });
    const figures: Figure[] = [];

    const di = show('Get Device.DeviceInfo.', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }));
    figures.push(row('in-process Get Device.DeviceInfo. (with live Process table)', di, aimMin(20_000)));
    // DeviceInfo minus the ProcessStatus.Process. table: its own parameters and every other sub-object.
    const infoObjs = await getResults('Device.DeviceInfo.');
    const own = Object.keys(infoObjs.find((r) => r.resolvedPath === 'Device.DeviceInfo.')?.resultParams ?? {}).map((p) => `Device.DeviceInfo.${p}`);
    const subs = new Set(
      infoObjs.map((r) => /^Device\.DeviceInfo\.([A-Za-z0-9]+)\./.exec(r.resolvedPath ?? '')?.[1]).filter((s): s is string => !!s && s !== 'ProcessStatus'),
    );
    const statusParams = Object.keys(infoObjs.find((r) => r.resolvedPath === 'Device.DeviceInfo.ProcessStatus.')?.resultParams ?? {}).map(
      (p) => `Device.DeviceInfo.ProcessStatus.${p}`,
    );
    const noProc = [...own, ...[...subs].map((s) => `Device.DeviceInfo.${s}.`), ...statusParams];
    const np = show('Get Device.DeviceInfo. minus ProcessStatus.Process.', await measure({ get: { paramPaths: noProc } }));
    figures.push(row(`in-process Get Device.DeviceInfo. minus ProcessStatus.Process. (${noProc.length} paths)`, np));

    // The same Get as controllers with ControllerTrust roles (agent/trust): the built-in Full Access,
    // and a role of three overlapping permissions (read all, hide one table, hide one parameter).
    await dm.transaction((txn) => provisionBuiltinRoles(dm, txn));
    const trust = new ControllerTrust(dm);
    const setRole = (n: number, role: string): Promise<number> =>
      roundTrip({
        set: {
          allowPartial: false,
          updateObjs: [
            {
              objPath: `Device.LocalAgent.Controller.${n}.`,
              paramSettings: [
                { param: 'Enable', value: 'true' },
                { param: 'AssignedRole', value: role },
              ],
            },
          ],
        },
      });
    await setRole(1, 'Device.LocalAgent.ControllerTrust.Role.1');
    await roundTrip({
      add: {
        allowPartial: false,
        createObjs: [
          {
            objPath: 'Device.LocalAgent.ControllerTrust.Role.',
            paramSettings: [
              { param: 'Name', value: 'Viewer' },
              { param: 'Enable', value: 'true' },
            ],
          },
        ],
      },
    });
    const perm = (order: number, targets: string, param: string) => ({
      objPath: 'Device.LocalAgent.ControllerTrust.Role.3.Permission.',
      paramSettings: Object.entries({ Enable: 'true', Order: String(order), Targets: targets, Param: param, Obj: 'r---', InstantiatedObj: 'r---' }).map(
        ([k, value]) => ({ param: k, value }),
      ),
    });
    await roundTrip({
      add: {
        allowPartial: false,
        createObjs: [perm(1, 'Device.', 'r---'), perm(2, 'Device.LocalAgent.Controller.', '----'), perm(3, 'Device.DeviceInfo.SerialNumber', '----')],
      },
    });
    await setRole(2, 'Device.LocalAgent.ControllerTrust.Role.3');
    const asController = (n: number): Requester => {
      const r = requesterFor(trust, `proto::ctrl-${n}`);
      if (!r) throw new Error(`controller ${n} is refused`);
      return r;
    };
    show('Get Device.DeviceInfo. (Full Access role)', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }, asController(1)));
    show('Get Device.DeviceInfo. (3-permission role)', await measure({ get: { paramPaths: ['Device.DeviceInfo.'] } }, asController(2)));
    show('Get Device. (3-permission role)', await measure({ get: { paramPaths: ['Device.'] } }, asController(2)));
    const one = show('Get Device.DeviceInfo.SoftwareVersion', await measure({ get: { paramPaths: ['Device.DeviceInfo.SoftwareVersion'] } }));
    figures.push(row('in-process Get Device.DeviceInfo.SoftwareVersion', one));
    show(
      'Get Device.LocalAgent.Controller.[EndpointID=="proto::ctrl-7"].',
      await measure({ get: { paramPaths: ['Device.LocalAgent.Controller.[EndpointID=="proto::ctrl-7"].'] } }),
    );
    show('Get Device. (whole model)', await measure({ get: { paramPaths: ['Device.'] } }));
    const gsdm = show(
      'GetSupportedDM Device. (all params/cmds/events)',
      await measure({ getSupportedDm: { objPaths: ['Device.'], returnParams: true, returnCommands: true, returnEvents: true, returnUniqueKeySets: true } }),
    );
    figures.push({
      metric: 'in-process GetSupportedDM Device. (whole tree) p99',
      value: gsdm.p99,
      unit: 'ms',
      aim: aimMax(50, true),
      detail: `p50 ${gsdm.p50.toFixed(3)} ms; reply ${gsdm.bytes} B`,
    });
    const set = show(
      'Set Device.DeviceInfo.ProvisioningCode',
      await measure({
        set: {
          allowPartial: false,
          updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'ProvisioningCode', value: 'bench', required: true }] }],
        },
      }),
    );
    figures.push(row('in-process Set Device.DeviceInfo.ProvisioningCode', set));
    const mem = process.memoryUsage();
    console.log(`memory: rss ${(mem.rss / 1048576).toFixed(1)} MiB, heap used ${(mem.heapUsed / 1048576).toFixed(1)} MiB`);
    return figures;
  } finally {
    dm.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await benchCore();
