/**
 * The OCI runtime config (config.json, OCI Runtime Specification 1.0) the agent writes for an
 * EU's container: the process from the image, the usual Linux namespaces and mounts, the
 * default capability set of container engines, and cgroup limits from the EU's
 * AllocatedMemory / AllocatedCPUPercent.
 */
import type { UnitSpec } from './runtime.js';

/** `none`: the container gets its own empty network namespace; `host`: it shares the host's. */
export type ContainerNetwork = 'none' | 'host';

const CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const CPU_PERIOD_US = 100_000;
const PIDS_LIMIT = 256;

export function ociConfig(spec: UnitSpec, rootfs: string, network: ContainerNetwork, cgroupParent: string): Record<string, unknown> {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...spec.exec.env };
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }], pids: { limit: PIDS_LIMIT } };
  if (spec.limits.memoryKiB > 0) resources['memory'] = { limit: spec.limits.memoryKiB * 1024 };
  if (spec.limits.cpuPercent > 0) resources['cpu'] = { quota: Math.round((CPU_PERIOD_US * spec.limits.cpuPercent) / 100), period: CPU_PERIOD_US };
  const namespaces = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(network === 'none' ? [{ type: 'network' }] : [])];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...spec.exec.args],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: spec.exec.cwd.startsWith('/') ? spec.exec.cwd : '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: false },
    hostname: spec.id.slice(0, 63),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=65536k'] },
    ],
    linux: {
      cgroupsPath: `${cgroupParent}/${spec.id}`,
      resources,
      namespaces,
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
