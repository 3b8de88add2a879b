/**
 * Deployment Unit formats. A downloaded DU (tar or tar.gz) is one of:
 * - an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`): every blob's SHA-256 is
 *   checked against its digest, the layers are unpacked in order into `rootfs/` (whiteouts
 *   applied), and the EU runs the image config's Entrypoint + Cmd, Env and WorkingDir; name,
 *   version, vendor and description come from the standard `org.opencontainers.image.*`
 *   annotations;
 * - our own package: `manifest.json` (see docs/smm.md) with `"kind": "oci"` and a `rootfs/`
 *   folder, or `"kind": "process"` and the program files next to it.
 * The result is a folder ready to install, and the manifest that describes it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { extractTar } from './extract.js';
import type { ExtractOptions } from './extract.js';
import { SmmFault, SmmFaultError } from './faults.js';
import type { DuKind, UnitExec } from './runtime.js';

export interface UnitDef extends UnitExec {
  readonly name: string;
  readonly autoStart: boolean;
  readonly runLevel: number;
}

export interface DuManifest {
  readonly kind: DuKind;
  readonly name: string;
  readonly version: string;
  readonly vendor: string;
  readonly description: string;
  readonly units: readonly UnitDef[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const bad = (msg: string): SmmFaultError => new SmmFaultError(SmmFault.CorruptData, `bad DU: ${msg}`);
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readJson(file: string, what: string): Promise<Json> {
  let text: string;
  try {
    const st = await lstat(file);
    if (!st.isFile() || st.size > 1024 * 1024) throw bad(`${what} is not a regular file of at most 1 MiB`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof SmmFaultError) throw e;
    throw bad(`${what} is missing`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!isObj(v)) throw bad(`${what} is not a JSON object`);
    return v;
  } catch (e) {
    if (e instanceof SmmFaultError) throw e;
    throw bad(`${what} is not valid JSON`);
  }
}

function str(o: Json, key: string, what: string, dflt?: string, max = 256): string {
  const v = o[key] ?? dflt;
  if (typeof v !== 'string' || v.length > max) throw bad(`${what}.${key} must be a string of at most ${max} characters`);
  return v;
}

function strList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((a): a is string => typeof a === 'string')) throw bad(`${what} must be a list of strings`);
  return v;
}

function envMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v) || !Object.values(v).every((x) => typeof x === 'string')) throw bad(`${what} must be an object of strings`);
  for (const k of Object.keys(v)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw bad(`${what}: '${k}' is not a variable name`);
  return v as Record<string, string>;
}

/** Parses and checks our manifest.json. */
export function parseManifest(m: Json): DuManifest {
  const kind = m['kind'];
  if (kind !== 'process' && kind !== 'oci') throw bad("manifest.kind must be 'process' or 'oci'");
  const name = str(m, 'name', 'manifest', undefined, 64);
  if (!NAME.test(name)) throw bad(`manifest.name '${name}' may use letters, digits, '.', '_' and '-' only`);
  const version = str(m, 'version', 'manifest', undefined, 32);
  if (version === '') throw bad('manifest.version is empty');
  const units = m['units'];
  if (!Array.isArray(units) || units.length === 0 || units.length > 16) throw bad('manifest.units must list 1 to 16 execution units');
  const seen = new Set<string>();
  const defs = units.map((u, i): UnitDef => {
    const w = `manifest.units[${i}]`;
    if (!isObj(u)) throw bad(`${w} must be an object`);
    const uname = str(u, 'name', w, name, 64);
    if (!NAME.test(uname) || seen.has(uname)) throw bad(`${w}.name '${uname}' is not a valid, unique name`);
    seen.add(uname);
    const args = strList(u['entrypoint'], `${w}.entrypoint`);
    if (args.length === 0 || args[0] === '') throw bad(`${w}.entrypoint is empty`);
    const runLevel = u['runLevel'] ?? 0;
    if (typeof runLevel !== 'number' || !Number.isInteger(runLevel) || runLevel < 0 || runLevel > 65535) throw bad(`${w}.runLevel must be 0-65535`);
    return {
      name: uname,
      args,
      env: envMap(u['env'], `${w}.env`),
      cwd: str(u, 'cwd', w, kind === 'oci' ? '/' : '.'),
      autoStart: u['autoStart'] === true,
      runLevel,
    };
  });
  return { kind, name, version, vendor: str(m, 'vendor', 'manifest', ''), description: str(m, 'description', 'manifest', ''), units: defs };
}

/** For a process DU: each entrypoint is a program inside the package (or an absolute host path), and a regular file. */
async function checkProcessUnits(dir: string, units: readonly UnitDef[]): Promise<void> {
  for (const u of units) {
    const exe = u.args[0] as string;
    if (isAbsolute(exe)) continue;
    const rel = posix.normalize(exe);
    if (rel.startsWith('..')) throw bad(`the entrypoint '${exe}' of ${u.name} is outside the package`);
    const st = await lstat(join(dir, rel)).catch(() => undefined);
    if (!st?.isFile()) throw bad(`the entrypoint '${exe}' of ${u.name} is not a file in the package`);
    if (posix.normalize(u.cwd).startsWith('..') || isAbsolute(u.cwd)) throw bad(`the working directory of ${u.name} must be inside the package`);
  }
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A blob of the image layout, checked against its digest. */
async function blob(layout: string, desc: unknown, what: string): Promise<string> {
  if (!isObj(desc) || typeof desc['digest'] !== 'string') throw bad(`${what} has no digest`);
  const m = /^sha256:([0-9a-f]{64})$/.exec(desc['digest']);
  if (!m?.[1]) throw bad(`${what} digest '${desc['digest']}' is not a sha256 digest`);
  const file = join(layout, 'blobs', 'sha256', m[1]);
  const st = await lstat(file).catch(() => undefined);
  if (!st?.isFile()) throw bad(`${what} blob ${m[1]} is missing`);
  if ((await sha256Of(file)) !== m[1]) throw bad(`${what} blob ${m[1]} does not match its digest`);
  return file;
}

/** Unpacks an OCI image layout into `out/rootfs`; returns its manifest. */
async function fromImageLayout(layout: string, out: string, limits: ExtractOptions): Promise<DuManifest> {
  const index = await readJson(join(layout, 'index.json'), 'index.json');
  const manifests = index['manifests'];
  if (!Array.isArray(manifests) || manifests.length === 0) throw bad('index.json lists no image');
  const manifest = await readJson(await blob(layout, manifests[0], 'the image manifest'), 'the image manifest');
  const config = await readJson(await blob(layout, manifest['config'], 'the image config'), 'the image config');
  const layers = manifest['layers'];
  if (!Array.isArray(layers)) throw bad('the image manifest has no layers');
  await mkdir(join(out, 'rootfs'));
  for (const [i, layer] of layers.entries()) await extractTar(await blob(layout, layer, `layer ${i}`), join(out, 'rootfs'), { ...limits, rootfs: true });
  const ann: Json = { ...(isObj(index['annotations']) ? index['annotations'] : {}), ...(isObj(manifest['annotations']) ? manifest['annotations'] : {}) };
  const a = (k: string): unknown => ann[`org.opencontainers.image.${k}`];
  const cfg = isObj(config['config']) ? config['config'] : {};
  const args = [...(cfg['Entrypoint'] ? strList(cfg['Entrypoint'], 'Entrypoint') : []), ...(cfg['Cmd'] ? strList(cfg['Cmd'], 'Cmd') : [])];
  const env: Record<string, string> = {};
  for (const kv of cfg['Env'] ? strList(cfg['Env'], 'Env') : []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return parseManifest({
    kind: 'oci',
    name: a('title') ?? 'image',
    version: a('version') ?? (typeof manifests[0] === 'object' ? 'latest' : ''),
    vendor: a('vendor') ?? '',
    description: a('description') ?? '',
    units: [{ name: a('title') ?? 'image', entrypoint: args, env, cwd: typeof cfg['WorkingDir'] === 'string' && cfg['WorkingDir'] ? cfg['WorkingDir'] : '/' }],
  });
}

/**
 * Unpacks `archive` into `stage` and returns the DU ready to install: `dir` (inside `stage`) is
 * the folder to install and `manifest` describes it. Throws 7035 for anything malformed or
 * hostile, 7227 when limits are exceeded.
 */
export async function unpackDu(archive: string, stage: string, limits: ExtractOptions): Promise<{ dir: string; manifest: DuManifest }> {
  const raw = join(stage, 'unpacked');
  await mkdir(raw);
  const { absoluteLinks } = await extractTar(archive, raw, { ...limits, rootfs: 'rootfs' });
  if ((await lstat(join(raw, 'oci-layout')).catch(() => undefined))?.isFile()) {
    const dir = join(stage, 'image');
    await mkdir(dir);
    const manifest = await fromImageLayout(raw, dir, limits);
    await rm(raw, { recursive: true, force: true });
    return { dir, manifest };
  }
  const manifest = parseManifest(await readJson(join(raw, 'manifest.json'), 'manifest.json (nor an OCI image layout)'));
  if (manifest.kind === 'oci') {
    if (!(await lstat(join(raw, 'rootfs')).catch(() => undefined))?.isDirectory()) throw bad("an 'oci' package needs a rootfs/ folder");
  } else {
    if (absoluteLinks > 0) throw bad('a process package may not contain symlinks with absolute targets');
    await checkProcessUnits(raw, manifest.units);
  }
  const dir = join(stage, 'package');
  await rename(raw, dir);
  return { dir, manifest };
}
