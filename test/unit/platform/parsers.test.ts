// agent/platform-linux parsers on real files laid out like procfs / sysfs in a temporary folder:
// the cases this machine does not have (thermal zones, wireless and bridge links, odd process names).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { interfaceStatus } from '../../../agent/platform-linux/index.js';
import { readNetInterfaces } from '../../../agent/platform-linux/net.js';
import { cpuUsageMeter, parseCpuTimes, parseProcessStat, readProcesses } from '../../../agent/platform-linux/proc.js';
import { thermalReader } from '../../../agent/platform-linux/thermal.js';

function tree(t: Test, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'usp-platform-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    if (!rel.endsWith('/')) writeFileSync(join(root, rel), text);
  }
  return root;
}

// A /proc/[pid]/stat line: pid (comm) state, then fields 4..24 (utime 14, stime 15, priority 18, rss 24).
const stat = (pid: number, comm: string, state: string, utime: number, stime: number, prio: number, rss: number): string =>
  `${pid} (${comm}) ${state} 1 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 ${prio} 0 1 0 100 12345678 ${rss} 18446744073709551615\n`;

t.test('parseProcessStat: command names with spaces and parentheses, states, priority, times', async (t) => {
  t.same(parseProcessStat(stat(42, 'my (odd) cmd', 'R', 150, 50, 20, 300), 4), { pid: 42, command: 'my (odd) cmd', sizeKiB: 1200, priority: 20, cpuTimeMs: 2000, state: 'Running' });
  t.equal(parseProcessStat(stat(7, 'rt', 'S', 0, 0, -100, 0), 4)?.priority, 0, 'real-time priorities are the highest (0)');
  t.equal(parseProcessStat(stat(7, 'z', 'Z', 0, 0, 20, 0), 16)?.state, 'Zombie');
  t.equal(parseProcessStat(stat(7, 'd', 'D', 0, 0, 20, 2), 16)?.sizeKiB, 32, '16 KiB pages (arm64 kernels)');
  t.equal(parseProcessStat(stat(7, 'i', 'I', 0, 0, 39, 0), 4)?.state, 'Idle');
  t.equal(parseProcessStat(stat(7, 't', 't', 0, 0, 39, 0), 4)?.state, 'Stopped');
  t.equal(parseProcessStat('garbage', 4), undefined);
  t.equal(parseProcessStat('12 (x) R 1 2', 4), undefined, 'a truncated line is skipped');
});

t.test('readProcesses reads every numeric folder and skips unreadable ones', async (t) => {
  const root = tree(t, { '1/stat': stat(1, 'init', 'S', 1, 1, 20, 10), '300/stat': stat(300, 'sshd', 'S', 5, 5, 20, 20), '12/': '', 'self/stat': 'x', 'stat': 'cpu  1 0 1 2\n' });
  t.same(readProcesses(root, 4).map((p) => [p.pid, p.command]), [[1, 'init'], [300, 'sshd']]);
  t.same(readProcesses(join(root, 'no-procfs'), 4), [], 'no procfs: no rows');
});

t.test('CPU usage is the busy share between two /proc/stat readings', async (t) => {
  t.same(parseCpuTimes('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n'), { busy: 200, total: 1000 });
  t.equal(parseCpuTimes('intr 1 2 3\n'), undefined);
  const root = tree(t, { stat: 'cpu  100 0 100 800 0 0 0 0\n' });
  let now = 0;
  const meter = cpuUsageMeter(root, 1000, () => now);
  t.equal(meter(), 20, 'first reading: since boot');
  writeFileSync(join(root, 'stat'), 'cpu  175 0 100 825 0 0 0 0\n');
  now = 500;
  t.equal(meter(), 20, 'within a second: the previous figure');
  now = 1500;
  t.equal(meter(), 75, '75 busy of 100 jiffies');
});

t.test('thermal zones: whole degrees, min and max over readings, unreadable and disabled zones', async (t) => {
  const root = tree(t, {
    'thermal_zone0/type': 'cpu-thermal\n',
    'thermal_zone0/temp': '48312\n',
    'thermal_zone10/type': 'gpu\n',
    'thermal_zone10/mode': 'disabled\n',
    'thermal_zone10/temp': '40000\n',
    'thermal_zone2/type': 'broken\n',
    'cooling_device0/type': 'fan\n',
  });
  let now = 1_000_000;
  const read = thermalReader(root, () => now);
  let r = read();
  t.same(r.map((z) => [z.zone, z.name, z.celsius, z.enabled]), [['thermal_zone0', 'cpu-thermal', 48, true], ['thermal_zone2', 'broken', undefined, true], ['thermal_zone10', 'gpu', 40, false]]);
  writeFileSync(join(root, 'thermal_zone0', 'temp'), '61500\n');
  now += 5000;
  read();
  writeFileSync(join(root, 'thermal_zone0', 'temp'), '52000\n');
  now += 5000;
  r = read();
  t.same({ v: r[0]?.celsius, min: r[0]?.min, max: r[0]?.max }, { v: 52, min: { celsius: 48, at: 1_000_000 }, max: { celsius: 62, at: 1_005_000 } });
  t.same(thermalReader(join(root, 'missing'))(), [], 'no thermal class: no sensors');
});

t.test('network interfaces: kind, flags, counters, speed, addresses', async (t) => {
  const link = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
    [`${name}/ifindex`]: '3\n',
    [`${name}/type`]: '1\n',
    [`${name}/address`]: 'dc:a6:32:01:02:03\n',
    [`${name}/operstate`]: 'up\n',
    [`${name}/flags`]: '0x1003\n',
    [`${name}/carrier`]: '1\n',
    [`${name}/mtu`]: '1500\n',
    [`${name}/statistics/rx_bytes`]: '18446744073709551000\n',
    [`${name}/statistics/tx_errors`]: '4294967300\n',
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`${name}/${k}`, v])),
  });
  const root = tree(t, {
    ...link('eth0', { speed: '1000\n', duplex: 'full\n' }),
    ...link('wlan0', { ifindex: '4\n', 'phy80211/name': 'phy0\n', operstate: 'dormant\n' }),
    ...link('br0', { ifindex: '5\n', 'bridge/stp_state': '0\n', flags: '0x1002\n', operstate: 'down\n' }),
    ...link('lo', { ifindex: '1\n', type: '772\n', operstate: 'unknown\n', flags: '0x9\n' }),
    'stray/': '',
  });
  const addrs = {
    eth0: [
      { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4' as const, mac: '', internal: false, cidr: '192.168.1.20/24' },
      { address: 'fe80::1%eth0', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' as const, mac: '', internal: false, cidr: 'fe80::1/64', scopeid: 3 },
    ],
  };
  const ifs = readNetInterfaces(root, addrs);
  t.same(ifs.map((i) => [i.name, i.kind, interfaceStatus(i)]), [['lo', 'loopback', 'Up'], ['eth0', 'ethernet', 'Up'], ['wlan0', 'wireless', 'Dormant'], ['br0', 'bridge', 'Down']]);
  const eth0 = ifs.find((i) => i.name === 'eth0');
  t.same({ speed: eth0?.speedMbps, duplex: eth0?.duplex, mac: eth0?.mac, rx: eth0?.stats.rxBytes, txErr: eth0?.stats.txErrors, tx: eth0?.stats.txBytes }, { speed: 1000, duplex: 'full', mac: 'DC:A6:32:01:02:03', rx: '18446744073709551000', txErr: '4294967300', tx: '0' });
  t.same(eth0?.addresses, [{ family: 'IPv4', address: '192.168.1.20', netmask: '255.255.255.0', prefixLength: 24 }, { family: 'IPv6', address: 'fe80::1', netmask: '64', prefixLength: 64 }]);
  t.equal(ifs.find((i) => i.name === 'br0')?.adminUp, false);
  t.equal(interfaceStatus({ operState: 'unknown', adminUp: true, running: false }), 'Down', 'unknown without carrier');
  t.same(readNetInterfaces(join(root, 'missing'), {}), []);
});
