/**
 * `npm run bench`: every benchmark in one run, each printing its own detail as it goes, then one
 * summary table (metric, value, aim, met?) and the machine it ran on. The parts, also runnable
 * alone: bench/startup.ts (start-up, RSS), bench/run.ts (in-process core), bench/mtp.ts (MQTT 5,
 * STOMP, WebSocket round trips), bench/notify-latency.ts (ValueChange), bench/bulkdata.ts.
 * Start-up runs first, while nothing else of ours is running. A part that fails keeps its rows in
 * the table with the reason; the run then exits 1. Asserts nothing about speed.
 *
 * Env: BENCH_PARTS (default `startup,core,mtp,notify,bulkdata`); BENCH_SECONDS per row of the
 * core and MTP parts (default 2 here); BENCH_MARKDOWN=<file>: also write the table as Markdown
 * (for README.md). Each part's own settings are described in its file.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { benchBulkData } from './bulkdata.js';
import { aimText, fmt, missing, verdict } from './figures.js';
import type { Figure } from './figures.js';
import { benchMtp } from './mtp.js';
import { benchNotify } from './notify-latency.js';
import { ROOT } from './mtp-procs.js';
import { benchCore } from './run.js';
import { benchStartup } from './startup.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const PARTS: Record<string, { run: () => Promise<Figure[]>; placeholder: string }> = {
  startup: { run: benchStartup, placeholder: 'start-up to first MTP connected' },
  core: { run: () => benchCore({ seconds: SECONDS }), placeholder: 'in-process core' },
  mtp: { run: () => benchMtp({ seconds: SECONDS }), placeholder: 'MTP round trips' },
  notify: { run: benchNotify, placeholder: 'ValueChange latency' },
  bulkdata: { run: benchBulkData, placeholder: 'Bulk Data' },
};

function machine(): string {
  const cpu = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?';
  const [l1, l5, l15] = loadavg().map((l) => l.toFixed(2));
  return `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}; load average at start ${l1} / ${l5} / ${l15}`;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

const value = (f: Figure): string => (Number.isNaN(f.value) ? '—' : `${fmt(f.value)} ${f.unit}`);

function textTable(rows: readonly Figure[]): string {
  const w = [
    Math.max(6, ...rows.map((r) => r.metric.length)),
    Math.max(5, ...rows.map((r) => value(r).length)),
    Math.max(3, ...rows.map((r) => aimText(r.aim, r.unit).length)),
  ];
  const line = (c: string[]): string =>
    `${(c[0] ?? '').padEnd(w[0] ?? 0)}  ${(c[1] ?? '').padStart(w[1] ?? 0)}  ${(c[2] ?? '').padEnd(w[2] ?? 0)}  ${(c[3] ?? '').padEnd(6)}  ${c[4] ?? ''}`;
  return [
    line(['metric', 'value', 'aim', 'met?', 'detail']),
    ...rows.map((r) => line([r.metric, value(r), aimText(r.aim, r.unit), verdict(r), r.detail ?? ''])),
  ].join('\n');
}

function markdownTable(rows: readonly Figure[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| metric | value | aim | met? | detail |',
    '|---|---:|---|---|---|',
    ...rows.map((r) => `| ${esc(r.metric)} | ${value(r)} | ${aimText(r.aim, r.unit)} | ${verdict(r)} | ${esc(r.detail ?? '')} |`),
  ].join('\n');
}

const started = new Date();
const machineLine = machine();
console.log(`usp-agent benchmarks, ${started.toISOString()}, commit ${commit()}\nmachine: ${machineLine}`);
const rows: Figure[] = [];
let failed = false;
for (const name of (process.env.BENCH_PARTS ?? Object.keys(PARTS).join(',')).split(',')) {
  const part = PARTS[name];
  if (!part) throw new Error(`unknown part ${name} in BENCH_PARTS (known: ${Object.keys(PARTS).join(', ')})`);
  const t0 = performance.now();
  console.log(`\n=== ${name} ===`);
  try {
    rows.push(...(await part.run()));
  } catch (e) {
    failed = true;
    console.error(`bench ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    rows.push(missing(part.placeholder, '', `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`));
  }
  console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
const minutes = ((Date.now() - started.getTime()) / 60_000).toFixed(1);
console.log(`\n=== summary (${minutes} min) ===\n${textTable(rows)}\nmachine: ${machineLine}`);
if (process.env.BENCH_MARKDOWN) {
  writeFileSync(
    process.env.BENCH_MARKDOWN,
    `${markdownTable(rows)}\n\nMachine: ${machineLine}. Measured ${started.toISOString().slice(0, 10)} at commit ${commit()}; the whole run took ${minutes} min.\n`,
  );
  console.log(`Markdown table written to ${process.env.BENCH_MARKDOWN}`);
}
if (failed) process.exitCode = 1;
