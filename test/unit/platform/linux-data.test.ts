// The default platform hooks against the OS itself: the agent's Device.IP / Device.Ethernet /
// DeviceInfo rows compared with what this test reads from /sys/class/net, /proc and os.* on its
// own (TR-181 IP:2, Ethernet:2, DeviceInfo ProcessStatus / Processor / TemperatureStatus).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, networkInterfaces } from 'node:os';
import t from 'tap';
import { freshAgent } from '../../helpers/agent.js';
import type { TestAgent } from '../../helpers/agent.js';

type Results = Record<string, Record<string, string>>;

async function get(agent: TestAgent, path: string): Promise<Results> {
  const r = await agent.request({ get: { paramPaths: [path] } });
  const res = r.body.response?.getResp?.reqPathResults?.[0];
  if (!res || res.errCode) throw new Error(`Get ${path}: ${res?.errCode} ${res?.errMsg}`);
  return Object.fromEntries((res.resolvedPathResults ?? []).map((x): [string, Record<string, string>] => [x.resolvedPath ?? '', x.resultParams ?? {}]));
}

const sys = (name: string, file: string): string | undefined => {
  try {
    return readFileSync(`/sys/class/net/${name}/${file}`, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const counter = (name: string, c: string): bigint => BigInt(sys(name, `statistics/${c}`) ?? '0');
const pidsInProc = (): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

/** Rows of a table in a Get result, by instance path, with the row's own params. */
const rows = (res: Results, table: string): [string, Record<string, string>][] => Object.entries(res).filter(([p]) => new RegExp(`^${table.replace(/[.{}]/g, '\\$&')}\\d+\\.$`).test(p));

t.test('Device.IP.Interface has one row per /sys/class/net entry, with its byte counters', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const names = readdirSync('/sys/class/net').sort();
  const before = new Map(names.map((n) => [n, { rx: counter(n, 'rx_bytes'), tx: counter(n, 'tx_bytes') }]));
  const res = await get(agent, 'Device.IP.Interface.');
  const after = new Map(names.map((n) => [n, { rx: counter(n, 'rx_bytes'), tx: counter(n, 'tx_bytes') }]));
  const ifRows = rows(res, 'Device.IP.Interface.');
  t.same(ifRows.map(([, v]) => v.Name).sort(), names, 'same interface names as /sys/class/net');
  t.equal((await get(agent, 'Device.IP.InterfaceNumberOfEntries'))['Device.IP.']?.InterfaceNumberOfEntries, String(names.length));
  for (const [path, v] of ifRows) {
    const name = v.Name as string;
    const stats = res[`${path}Stats.`] ?? {};
    const b = before.get(name);
    const a = after.get(name);
    if (!b || !a) continue;
    // Counters only grow: the agent's reading lies between the test's two readings.
    t.ok(BigInt(stats.BytesReceived ?? -1) >= b.rx && BigInt(stats.BytesReceived ?? -1) <= a.rx, `${name} BytesReceived ${stats.BytesReceived} within [${b.rx}, ${a.rx}]`);
    t.ok(BigInt(stats.BytesSent ?? -1) >= b.tx && BigInt(stats.BytesSent ?? -1) <= a.tx, `${name} BytesSent ${stats.BytesSent} within [${b.tx}, ${a.tx}]`);
    t.equal(v.MaxMTUSize, sys(name, 'mtu'), `${name} MTU`);
    t.equal(v.Type, sys(name, 'type') === '772' ? 'Loopback' : 'Normal', `${name} Type`);
    t.equal(v.Enable, String((Number.parseInt(sys(name, 'flags') ?? '0', 16) & 1) === 1), `${name} Enable is IFF_UP`);
  }
});

t.test('IPv4Address / IPv6Address rows are the addresses os.networkInterfaces() reports', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const res = await get(agent, 'Device.IP.Interface.');
  const os = networkInterfaces();
  let compared = 0;
  for (const [path, v] of rows(res, 'Device.IP.Interface.')) {
    const name = v.Name as string;
    for (const fam of ['IPv4', 'IPv6'] as const) {
      const want = (os[name] ?? []).filter((a) => a.family === fam).map((a) => a.address.replace(/%.*$/, '')).sort();
      const got = rows(res, `${path}${fam}Address.`).map(([, a]) => a.IPAddress).sort();
      t.same(got, want, `${name} ${fam} addresses`);
      t.equal(v[`${fam}AddressNumberOfEntries`], String(want.length));
      compared += want.length;
      if (fam === 'IPv4') for (const [, a] of rows(res, `${path}IPv4Address.`)) t.equal(a.SubnetMask, os[name]?.find((x) => x.address === a.IPAddress)?.netmask, `${name} ${a.IPAddress} mask`);
    }
  }
  t.ok(compared >= 1, 'at least the loopback address was compared');
});

t.test('Device.Ethernet.Interface lists the Ethernet netdevs that are not wireless, bridges or loopback', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const want = readdirSync('/sys/class/net')
    .filter((n) => sys(n, 'type') === '1' && !existsSync(`/sys/class/net/${n}/wireless`) && !existsSync(`/sys/class/net/${n}/phy80211`) && !existsSync(`/sys/class/net/${n}/bridge`))
    .sort();
  const before = new Map(want.map((n) => [n, counter(n, 'rx_packets')]));
  const res = await get(agent, 'Device.Ethernet.Interface.');
  const eth = rows(res, 'Device.Ethernet.Interface.');
  t.same(eth.map(([, v]) => v.Name).sort(), want);
  for (const [path, v] of eth) {
    const name = v.Name as string;
    t.equal(v.MACAddress, sys(name, 'address')?.toUpperCase(), `${name} MAC`);
    const rx = BigInt(res[`${path}Stats.`]?.PacketsReceived ?? -1);
    t.ok(rx >= (before.get(name) ?? 0n) && rx <= counter(name, 'rx_packets'), `${name} PacketsReceived ${rx}`);
  }
});

t.test('ProcessStatus.Process lists the processes in /proc, this one included', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const before = pidsInProc();
  const res = await get(agent, 'Device.DeviceInfo.ProcessStatus.');
  const after = pidsInProc();
  const procs = rows(res, 'Device.DeviceInfo.ProcessStatus.Process.');
  const pids = new Set(procs.map(([, v]) => Number(v.PID)));
  // Processes start and end meanwhile: every PID in both of the test's readings must be there.
  const stable = before.filter((p) => after.includes(p));
  t.same(stable.filter((p) => !pids.has(p)), [], 'every process present before and after is listed');
  t.ok(procs.length <= new Set([...before, ...after]).size, `${procs.length} rows, no process invented`);
  t.equal(res['Device.DeviceInfo.ProcessStatus.']?.ProcessNumberOfEntries, String(procs.length));
  const self = procs.find(([, v]) => v.PID === String(process.pid))?.[1];
  t.ok(self, 'this test process is listed');
  t.equal(self?.Command, readFileSync('/proc/self/comm', 'utf8').trim());
  t.match(self?.State, /^(Running|Sleeping)$/);
  const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  t.ok(Math.abs(Number(self?.Size) - rssKiB) < rssKiB * 0.25, `Size ${self?.Size} KiB near VmRSS ${rssKiB} KiB`);
  const cpuMs = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
  t.ok(Number(self?.CPUTime) > 0 && Number(self?.CPUTime) <= cpuMs + 20, `CPUTime ${self?.CPUTime} ms, process.cpuUsage ${cpuMs.toFixed(0)} ms`);
  const usage = Number(res['Device.DeviceInfo.ProcessStatus.']?.CPUUsage);
  t.ok(usage >= 0 && usage <= 100, `CPUUsage ${usage}%`);
});

t.test('Processor rows: one per CPU; TemperatureSensor rows: one per thermal zone', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const res = await get(agent, 'Device.DeviceInfo.');
  const cpuCount = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^processor\s*:/.test(l)).length;
  t.equal(res['Device.DeviceInfo.']?.ProcessorNumberOfEntries, String(cpuCount), '/proc/cpuinfo processors');
  t.equal(rows(res, 'Device.DeviceInfo.Processor.').length, cpus().length);
  const zones = existsSync('/sys/class/thermal') ? readdirSync('/sys/class/thermal').filter((z) => /^thermal_zone\d+$/.test(z)) : [];
  const sensors = rows(res, 'Device.DeviceInfo.TemperatureStatus.TemperatureSensor.');
  t.equal(sensors.length, zones.length, `${zones.length} thermal zones on this machine`);
  t.same(sensors.map(([, v]) => v.Name).sort(), zones.map((z) => readFileSync(`/sys/class/thermal/${z}/type`, 'utf8').trim()).sort());
  t.ok(Number(res['Device.DeviceInfo.MemoryStatus.']?.Total) > 0);
});

t.test('Device.Time follows the system clock; identity comes from the config', async (t) => {
  const { agent, cleanup } = await freshAgent();
  t.teardown(cleanup);
  const before = Math.floor(Date.now() / 1000) * 1000;
  const res = await get(agent, 'Device.Time.CurrentLocalTime');
  const at = Date.parse(res['Device.Time.']?.CurrentLocalTime ?? '');
  t.ok(at >= before && at <= Date.now(), `CurrentLocalTime ${res['Device.Time.']?.CurrentLocalTime}`);
  const info = (await get(agent, 'Device.DeviceInfo.'))['Device.DeviceInfo.'] ?? {};
  t.equal(info.SerialNumber, agent.config.identity.serialNumber);
  t.equal(info.ManufacturerOUI, agent.config.identity.manufacturerOUI);
  t.equal(info.ProductClass, agent.config.identity.productClass);
});
