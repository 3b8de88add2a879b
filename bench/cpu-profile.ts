/**
 * Summary of a V8 `.cpuprofile` (as `node --cpu-prof` writes it): the functions with the most
 * self time, the most inclusive time, and self time per area (Node internals, each npm
 * package, each project folder). Used by bench/mtp.ts with BENCH_PROFILE=<dir>.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(program)', '(root)']);

function frameKey(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(root, '');
  // tsx-compiled project files report line 0 for everything: show the file alone then.
  const at = file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file;
  return `${functionName || '(anonymous)'} ${at.replace(/^.*node_modules\//, '~/')}`.trim();
}

function area(url: string, root: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node: internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return `npm ${m[1]}`;
  const rel = url.replace(/^file:\/\//, '').replace(root, '');
  return rel.split('/').slice(0, rel.startsWith('agent/') ? 2 : 1).join('/');
}

/** Lines describing where the profiled process spent its busy time (everything but idle). */
export function summarizeProfile(file: string, root: string, top = 15): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfBy = new Map<string, number>();
  const inclBy = new Map<string, number>();
  const areaBy = new Map<string, number>();
  const byProfiler = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur)?.callFrame.url === 'node:inspector') return true;
    return false;
  };
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    // Idle time, and the profiler's own work (node:inspector), are left out.
    if (!n || IDLE.has(n.callFrame.functionName) || byProfiler(id)) continue;
    busy += us;
    const key = frameKey(n, root);
    selfBy.set(key, (selfBy.get(key) ?? 0) + us);
    const a = n.callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : area(n.callFrame.url, root);
    areaBy.set(a, (areaBy.get(a) ?? 0) + us);
    // Inclusive: charge every distinct frame on the stack once (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur);
      if (!f || IDLE.has(f.callFrame.functionName)) continue;
      const k = frameKey(f, root);
      if (seen.has(k)) continue;
      seen.add(k);
      inclBy.set(k, (inclBy.get(k) ?? 0) + us);
    }
  }
  const pct = (us: number): string => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
  const rows = (m: Map<string, number>, k: number): string[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `    ${pct(us)}  ${name}`);
  return [
    `  busy time ${(busy / 1000).toFixed(0)} ms (idle and the profiler excluded); self time by area:`,
    ...rows(areaBy, 12),
    `  top ${top} functions by self time:`,
    ...rows(selfBy, top),
    `  top ${top} functions by inclusive time:`,
    ...rows(inclBy, top),
  ];
}
