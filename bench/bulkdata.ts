/**
 * Part of `npm run bench` (bench/suite.ts; alone: `npm run bench:bulkdata`): Bulk Data under load. An in-process agent
 * core (real SQLite, real dispatcher) runs 20 profiles of 500 parameter references each (10 JSON
 * ObjectHierarchy, 10 CSV ParameterPerColumn) every second to a real node:http collector on
 * loopback. Prints the collection + encode time per report, the latency of Get
 * Device.DeviceInfo. through the dispatcher while idle and while reports run, and the process
 * CPU share over a window where only the reports run (agent and collector share the process: the
 * collector only drains bodies). Returns the figures; asserts nothing.
 *
 * Env: BENCH_BULK_SECONDS (default 10), BENCH_BULK_CPU_SECONDS (5), BENCH_BULK_PROFILES (20),
 * BENCH_BULK_PARAMS (500).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, openCore, SUPPORTED_USP_VERSIONS } from '../agent/agent.js';
import { ADMIN_REQUESTER } from '../agent/admin/server.js';
import type { CycleResult } from '../agent/bulkdata/service.js';
import { Dispatcher } from '../agent/dispatch.js';
import { createLogger, SILENT_LOGGER } from '../agent/log.js';
import { loadTr181 } from '../datamodel/schema/index.js';
import { buildRequest, decodeMsg, encodeMsg } from '../proto/index.js';
import type { DecodedMsg, Request } from '../proto/index.js';
import { fmt, isMain, quantile } from './figures.js';
import type { Figure } from './figures.js';

interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Runs the Bulk Data rows; prints them and returns the figures for the suite's table. */
export async function benchBulkData(opts: { seconds?: number; cpuSeconds?: number } = {}): Promise<Figure[]> {
  const SECONDS = opts.seconds ?? Number(process.env.BENCH_BULK_SECONDS ?? 10);
  const CPU_SECONDS = opts.cpuSeconds ?? Number(process.env.BENCH_BULK_CPU_SECONDS ?? 5);
  const PROFILES = Number(process.env.BENCH_BULK_PROFILES ?? 20);
  const PARAMS = Number(process.env.BENCH_BULK_PARAMS ?? 500);

  const dir = mkdtempSync(join(tmpdir(), 'usp-bench-bulk-'));
  const config = {
    ...loadConfig(undefined, { dataDir: dir }),
    endpointId: 'proto::bench-bulk',
    bulkData: { minReportingInterval: 1, maxProfiles: PROFILES, maxParameterReferences: -1, httpTimeoutSeconds: 30 },
  };
  const core = await openCore(config, { log: process.env.BENCH_BULK_LOG ? createLogger({ level: 'info' }) : SILENT_LOGGER });
  const dispatcher = new Dispatcher({
    dm: core.dm,
    log: SILENT_LOGGER,
    supportedProtocols: SUPPORTED_USP_VERSIONS,
    dataModelUri: loadTr181().uri,
    requests: core.requests,
  });

  // The collector: drains each body and answers 200.
  let received = 0;
  let receivedBytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (receivedBytes += c.length));
    req.on('end', () => {
      received++;
      res.end();
    });
  });
  try {
    let id = 0;
    const call = async (req: Request): Promise<DecodedMsg> => {
      const reply = await dispatcher.handle(decodeMsg(encodeMsg(buildRequest(`bb${++id}`, req))), ADMIN_REQUESTER);
      if (!reply || reply.body?.error) throw new Error(`bench request failed: ${JSON.stringify(reply?.body?.error)}`);
      return decodeMsg(encodeMsg(reply));
    };
    const settings = (o: Record<string, string>): { param: string; value: string }[] => Object.entries(o).map(([param, value]) => ({ param, value }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/bulk`;

    // Something to report: controllers with MTP rows, until there are PARAMS concrete parameter paths.
    let paths: string[] = [];
    for (let c = 0; paths.length < PARAMS; c++) {
      await call({
        add: {
          createObjs: Array.from({ length: 10 }, (_, i) => ({
            objPath: 'Device.LocalAgent.Controller.',
            paramSettings: settings({ EndpointID: `proto::bench-${c}-${i}` }),
          })),
        },
      });
      const got = await call({ get: { paramPaths: ['Device.LocalAgent.Controller.'] } });
      paths = (got.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults ?? []).flatMap((r) =>
        Object.keys(r.resultParams ?? {}).map((k) => `${r.resolvedPath ?? ''}${k}`),
      );
    }
    paths = paths.slice(0, PARAMS);

    const t0 = performance.now();
    const profiles: string[] = [];
    for (let p = 0; p < PROFILES; p++) {
      const csv = p % 2 === 1;
      const r = await call({
        add: {
          createObjs: [
            {
              objPath: 'Device.BulkData.Profile.',
              paramSettings: settings({ Enable: 'false', Protocol: 'HTTP', EncodingType: csv ? 'CSV' : 'JSON', ReportingInterval: '1', 'HTTP.URL': url }),
            },
          ],
        },
      });
      const path = r.body.response?.addResp?.createdObjResults?.[0]?.operStatus?.operSuccess?.instantiatedPath ?? '';
      profiles.push(path);
      for (let i = 0; i < paths.length; i += 100) {
        await call({
          add: { createObjs: paths.slice(i, i + 100).map((ref) => ({ objPath: `${path}Parameter.`, paramSettings: settings({ Reference: ref }) })) },
        });
      }
    }
    console.log(
      `bulk data: ${PROFILES} profiles × ${paths.length} parameter references (half JSON, half CSV), interval 1 s; set up in ${(performance.now() - t0).toFixed(0)} ms`,
    );

    /** Get Device.DeviceInfo. every 2 ms for `seconds`; latency of each. */
    const getLatency = async (seconds: number): Promise<Latency> => {
      const lat: number[] = [];
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        const s = performance.now();
        await call({ get: { paramPaths: ['Device.DeviceInfo.'] } });
        lat.push(performance.now() - s);
        await new Promise((r) => setTimeout(r, 2));
      }
      lat.sort((a, b) => a - b);
      return { n: lat.length, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat.at(-1) ?? 0 };
    };
    const showLat = (name: string, l: Latency): void =>
      console.log(`${name.padEnd(36)} n ${String(l.n).padStart(5)}   p50 ${l.p50.toFixed(3)} ms   p99 ${l.p99.toFixed(3)} ms   max ${l.max.toFixed(3)} ms`);

    await getLatency(0.5); // warm-up
    const idle = await getLatency(Math.min(3, SECONDS));
    showLat('Get Device.DeviceInfo. idle', idle);

    const cycles: CycleResult[] = [];
    core.bulkData.onReport((r) => cycles.push(r));
    await call({ set: { updateObjs: profiles.map((p) => ({ objPath: p, paramSettings: settings({ Enable: 'true' }) })) } });
    await new Promise((r) => setTimeout(r, 1500)); // every profile has reported once (warm-up)
    cycles.length = 0;
    received = 0;
    receivedBytes = 0;
    const w0 = performance.now();
    const busy = await getLatency(SECONDS);
    const wall = performance.now() - w0;
    showLat('Get Device.DeviceInfo. while reporting', busy);
    const reports = cycles.length;
    const failed = cycles.filter((c) => !c.ok).length;
    const build = cycles.map((c) => c.buildMs).sort((a, b) => a - b);
    // CPU share of the reports alone: the same profiles, no Get loop.
    const cpu0 = process.cpuUsage();
    const c0 = performance.now();
    const before = cycles.length;
    await new Promise((r) => setTimeout(r, CPU_SECONDS * 1000));
    const cpuWall = performance.now() - c0;
    const cpu = process.cpuUsage(cpu0);
    const share = ((cpu.user + cpu.system) / 1000 / cpuWall) * 100;
    const cpuReports = cycles.length - before;
    console.log(
      `reports: ${reports} in ${(wall / 1000).toFixed(1)} s (${(reports / (wall / 1000)).toFixed(1)}/s, ${failed} failed), ${received} received, avg ${(receivedBytes / Math.max(1, received) / 1024).toFixed(1)} KiB, ${cycles[0]?.parameters ?? 0} parameters each`,
    );
    const p50 = quantile(build, 0.5);
    const p99 = quantile(build, 0.99);
    console.log(`collect + encode per report: p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   max ${(build.at(-1) ?? 0).toFixed(2)} ms`);
    console.log(
      `process CPU while only the reports run (agent + in-process collector), ${cpuReports} reports in ${(cpuWall / 1000).toFixed(1)} s: ${share.toFixed(1)} % of one core`,
    );
    await core.bulkData.stop();
    const size = `${PROFILES} profiles × ${paths.length} params every 1 s`;
    return [
      {
        metric: `Bulk Data collect + encode per report (${paths.length} params) p50`,
        value: p50,
        unit: 'ms',
        detail: `p99 ${fmt(p99)} ms; ${reports} reports, ${failed} failed; HTTP, half JSON, half CSV`,
      },
      {
        metric: `Bulk Data agent CPU share (${size})`,
        value: share,
        unit: '% of a core',
        detail: `${cpuReports} reports in ${(cpuWall / 1000).toFixed(1)} s; includes the in-process collector draining bodies`,
      },
      {
        metric: `Get Device.DeviceInfo. p99 while Bulk Data reports (${size})`,
        value: busy.p99,
        unit: 'ms',
        detail: `idle p99 ${fmt(idle.p99)} ms; p50 ${fmt(busy.p50)} ms (idle ${fmt(idle.p50)} ms); in-process`,
      },
    ];
  } finally {
    await core.bulkData.stop();
    core.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await benchBulkData();
