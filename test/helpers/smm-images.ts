/**
 * Deployment Units for the Software Module Management tests, built from Debian's
 * busybox-static at test time: a process package (manifest.json + busybox + a script) and an
 * OCI image layout (one gzip layer holding busybox and its /bin/sh link, config, manifest,
 * index), both as tar.gz files; and a node:http server that serves them, so the agent fetches
 * them over a real HTTP connection.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** Whether busybox-static is installed (the images need it). */
export function haveBusybox(): boolean {
  if (!existsSync(BUSYBOX)) return false;
  const r = spawnSync('file', ['-L', BUSYBOX], { encoding: 'utf8' });
  return r.status !== 0 || /statically linked|static-pie/.test(r.stdout);
}

/**
 * A script that prints `<marker> started`, a line every 100 ms, and `<marker> stopping` on SIGTERM.
 * `exitCode` set: prints `<marker> failing` and exits with it at once.
 */
export function script(marker: string, exitCode?: number): string {
  if (exitCode !== undefined) return `echo "${marker} failing"; exit ${exitCode}`;
  return `trap 'echo "${marker} stopping"; exit 0' TERM; echo "${marker} started"; i=0; while true; do echo "${marker} tick $i"; i=$((i+1)); sleep 0.1; done`;
}

function tarGz(srcDir: string, out: string, entries: string[] = ['.']): void {
  const r = spawnSync('tar', ['-czf', out, '-C', srcDir, '--owner=0', '--group=0', ...entries], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface DuSpec {
  readonly name: string;
  readonly version: string;
  /** The shell script the EU runs (see script()). */
  readonly script: string;
}

/** A process DU (manifest.json, bin/busybox, run.sh) as a tar.gz in `outDir`; returns its path. */
export function buildProcessDu(outDir: string, spec: DuSpec): string {
  const dir = mkdtempSync(join(outDir, 'pkg-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  writeFileSync(join(dir, 'run.sh'), spec.script);
  const manifest = {
    kind: 'process',
    name: spec.name,
    version: spec.version,
    vendor: 'usp-agent tests',
    description: `${spec.name} ${spec.version}`,
    units: [{ name: spec.name, entrypoint: ['bin/busybox', 'sh', 'run.sh'], env: { DU_VERSION: spec.version } }],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const out = join(outDir, `${spec.name}-${spec.version}.tar.gz`);
  tarGz(dir, out);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** An OCI image layout DU as a tar.gz in `outDir`; returns its path. */
export function buildOciDu(outDir: string, spec: DuSpec): string {
  const work = mkdtempSync(join(outDir, 'oci-'));
  const rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  // An absolute link, as real images have: resolved inside the container's root.
  symlinkSync('/bin/busybox', join(rootfs, 'bin', 'sh'));
  const layout = join(work, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } => {
    const d = sha(b);
    writeFileSync(join(blobs, d), b);
    return { mediaType, digest: `sha256:${d}`, size: b.length };
  };
  const layerFile = join(work, 'layer.tar.gz');
  tarGz(rootfs, layerFile, ['bin']);
  const layer = put(readFileSync(layerFile), 'application/vnd.oci.image.layer.v1.tar+gzip');
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ['/bin/sh', '-c'], Cmd: [spec.script], Env: [`DU_VERSION=${spec.version}`], WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [] },
      }),
    ),
    'application/vnd.oci.image.config.v1+json',
  );
  const annotations = {
    'org.opencontainers.image.title': spec.name,
    'org.opencontainers.image.version': spec.version,
    'org.opencontainers.image.vendor': 'usp-agent tests',
  };
  const manifest = put(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer], annotations })),
    'application/vnd.oci.image.manifest.v1+json',
  );
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifest] }));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const out = join(outDir, `${spec.name}-${spec.version}.oci.tar.gz`);
  tarGz(layout, out);
  rmSync(work, { recursive: true, force: true });
  return out;
}

/** SHA-256 of a file, for `#sha256=` URL fragments. */
export function fileSha256(file: string): string {
  return sha(readFileSync(file));
}

export interface FileServer {
  /** URL of a file of `dir` (by base name). */
  url(file: string): string;
  /** Paths requested so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves the files of `dir` over HTTP on 127.0.0.1 (ephemeral port). */
export async function serveFiles(dir: string): Promise<FileServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0] ?? '');
    requests.push(name);
    const file = join(dir, name);
    if (name.includes('/') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (file) => `http://127.0.0.1:${port}/${file.split('/').pop() ?? ''}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
