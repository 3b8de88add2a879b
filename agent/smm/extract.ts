/**
 * A small tar extractor for Deployment Units, written for hostile input: a DU comes from a
 * server the device does not control. Every entry is checked before anything is written:
 * absolute names and `..` components are refused, links may not point outside the tree, no
 * entry is ever written through a symlink (each parent is created by us and checked with
 * lstat), device files and FIFOs are refused, setuid/setgid bits are dropped, and the total
 * size and entry count are bounded before the data is read (a gzip bomb stops at the limit).
 * The caller extracts into a staging folder and removes it on any failure.
 *
 * Formats: POSIX ustar with pax extended headers (path, linkpath, size) and the GNU long-name
 * records, gzip-compressed or not (what `tar` and OCI image layers produce).
 */
import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rm, symlink, chmod } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ByteReader } from './byte-reader.js';
import { SmmFault, SmmFaultError } from './faults.js';

export interface ExtractOptions {
  /** Largest total size of the files in the archive, in bytes. */
  readonly maxBytes: number;
  /** Most entries the archive may have. */
  readonly maxEntries: number;
  /**
   * `true`: the tree is a container root filesystem (an OCI layer): absolute symlink targets are
   * resolved inside it (as the container sees them) instead of being refused, and OCI whiteouts
   * (`.wh.`) apply. A folder name: the same for symlinks below that folder only (a package
   * with a `rootfs/`).
   */
  readonly rootfs?: boolean | string;
}

export interface ExtractResult {
  readonly entries: number;
  readonly bytes: number;
  /** Symlinks with absolute targets (allowed only inside a root filesystem). */
  readonly absoluteLinks: number;
}

const BLOCK = 512;
const MAX_META_BYTES = 64 * 1024;

const corrupt = (msg: string): SmmFaultError => new SmmFaultError(SmmFault.CorruptData, `archive refused: ${msg}`);

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  // GNU base-256 for sizes over 8 GiB: far beyond any limit here, refused.
  if ((f[0] ?? 0) & 0x80) throw corrupt('base-256 sizes are not supported');
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw corrupt(`bad octal field '${s}'`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return sum === num(h, 148, 8);
}

/** Archive path → safe relative path ('' for the root entry); refuses escapes. */
export function safeName(raw: string): string {
  if (raw.includes('\0')) throw corrupt('a name contains NUL');
  if (raw.startsWith('/')) throw corrupt(`absolute path '${raw}'`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw corrupt(`path traversal in '${raw}'`);
  return parts.join('/');
}

/** Checks a symlink target: it must stay inside the tree (relative to the link's folder, or to the root for a rootfs). */
export function checkLinkTarget(name: string, target: string, rootfs: boolean): void {
  if (target === '' || target.includes('\0')) throw corrupt(`symlink '${name}' has an empty or bad target`);
  if (target.startsWith('/')) {
    // Inside a container an absolute target is resolved from the container's root: "/.." is "/".
    if (rootfs) return;
    throw corrupt(`symlink '${name}' points outside the package ('${target}')`);
  }
  const resolved = posix.normalize(posix.join(posix.dirname(name), target));
  if (resolved === '..' || resolved.startsWith('../')) throw corrupt(`symlink '${name}' points outside the package ('${target}')`);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(data.toString('utf8', pos, sp));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw corrupt('bad pax header');
    const rec = data.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

class Extractor {
  private readonly dirs = new Set<string>(['']);
  private entries = 0;
  private bytes = 0;
  private absoluteLinks = 0;

  constructor(
    private readonly dest: string,
    private readonly opts: ExtractOptions,
  ) {}

  /** Makes `rel` (a folder inside dest) exist as a real directory, never following a symlink. */
  private async ensureDir(rel: string): Promise<void> {
    if (this.dirs.has(rel)) return;
    await this.ensureDir(posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
    const abs = join(this.dest, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) await mkdir(abs, { mode: 0o755 });
    else if (!st.isDirectory()) throw corrupt(`'${rel}' is used as a folder but is ${st.isSymbolicLink() ? 'a symlink' : 'a file'}`);
    this.dirs.add(rel);
  }

  /** Removes whatever is at `rel` unless it is a directory and `keepDir`. */
  private async clear(rel: string, keepDir: boolean): Promise<boolean> {
    const abs = join(this.dest, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (!st) return false;
    if (st.isDirectory() && keepDir) return true;
    await rm(abs, { recursive: true, force: true });
    for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
    return false;
  }

  private parentOf(rel: string): string {
    const d = posix.dirname(rel);
    return d === '.' ? '' : d;
  }

  async run(reader: ByteReader): Promise<ExtractResult> {
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const h = await reader.read(BLOCK);
      if (!h) throw corrupt('the archive ends without its end-of-archive blocks');
      if (h.every((b) => b === 0)) break;
      if (!checksumOk(h)) throw corrupt('header checksum mismatch (not a tar archive, or damaged)');
      const type = String.fromCharCode(h[156] ?? 0);
      const ustar = h.toString('latin1', 257, 263) === 'ustar\0';
      const prefix = ustar ? cstr(h, 345, 155) : '';
      let size = num(h, 124, 12);
      if (pax['size'] !== undefined) size = Number(pax['size']);
      if (!Number.isSafeInteger(size) || size < 0) throw corrupt('bad entry size');
      const rawName = pax['path'] ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      const rawLink = pax['linkpath'] ?? longLink ?? cstr(h, 157, 100);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
        if (size > MAX_META_BYTES) throw corrupt('oversized extended header');
        const data = (await reader.read(padded))?.subarray(0, size);
        if (!data) throw corrupt('truncated extended header');
        if (type === 'x') pax = parsePax(data);
        else if (type === 'L') longName = cstr(data, 0, data.length);
        else if (type === 'K') longLink = cstr(data, 0, data.length);
        continue;
      }
      pax = {};
      longName = undefined;
      longLink = undefined;
      if (++this.entries > this.opts.maxEntries)
        throw new SmmFaultError(SmmFault.ResourcesExceeded, `the archive has more than ${this.opts.maxEntries} entries`);
      await this.entry(type, safeName(rawName), rawLink, Number(num(h, 100, 8)), size, padded, reader);
    }
    return { entries: this.entries, bytes: this.bytes, absoluteLinks: this.absoluteLinks };
  }

  private async entry(type: string, rel: string, rawLink: string, mode: number, size: number, padded: number, reader: ByteReader): Promise<void> {
    const base = posix.basename(rel);
    if (this.opts.rootfs === true && base.startsWith('.wh.')) {
      await reader.skip(padded);
      const dir = this.parentOf(rel);
      await this.ensureDir(dir);
      if (base === '.wh..wh..opq') {
        for (const f of await readdir(join(this.dest, dir))) await this.clear(dir ? `${dir}/${f}` : f, false);
      } else {
        // `.wh..` would name the destination itself and `.wh...` its parent: a whiteout names one entry.
        const target = base.slice(4);
        if (target === '' || target === '.' || target === '..') throw corrupt(`whiteout '${rel}' names no entry`);
        const victim = safeName(dir ? `${dir}/${target}` : target);
        if (victim === '') throw corrupt(`whiteout '${rel}' names no entry`);
        await this.clear(victim, false);
      }
      return;
    }
    if (rel === '') {
      if (type !== '5') throw corrupt('an entry without a name');
      return reader.skip(padded);
    }
    const abs = join(this.dest, rel);
    switch (type) {
      case '5':
        await reader.skip(padded);
        await this.ensureDir(this.parentOf(rel));
        if (!(await this.clear(rel, true))) await mkdir(abs);
        await chmod(abs, (mode & 0o777) | 0o700);
        this.dirs.add(rel);
        return;
      case '0':
      case '\0':
      case '7': {
        this.bytes += size;
        if (this.bytes > this.opts.maxBytes)
          throw new SmmFaultError(SmmFault.ResourcesExceeded, `the archive unpacks to more than ${this.opts.maxBytes} bytes`);
        await this.ensureDir(this.parentOf(rel));
        await this.clear(rel, false);
        const fh = await open(abs, 'wx', mode & 0o777);
        try {
          for await (const piece of reader.pieces(size)) await fh.write(piece);
        } finally {
          await fh.close();
        }
        await chmod(abs, mode & 0o777);
        return reader.skip(padded - size);
      }
      case '2': {
        const r = this.opts.rootfs;
        const inRootfs = r === true || (typeof r === 'string' && rel.startsWith(`${r}/`));
        checkLinkTarget(rel, rawLink, inRootfs);
        if (rawLink.startsWith('/')) this.absoluteLinks++;
        await reader.skip(padded);
        await this.ensureDir(this.parentOf(rel));
        await this.clear(rel, false);
        return symlink(rawLink, abs);
      }
      case '1': {
        const target = safeName(rawLink);
        const st = await lstat(join(this.dest, target)).catch(() => undefined);
        if (!st?.isFile()) throw corrupt(`hard link '${rel}' to '${rawLink}', which is not a file extracted before it`);
        for (let d = this.parentOf(target); d !== ''; d = this.parentOf(d)) if (!this.dirs.has(d)) throw corrupt(`hard link '${rel}' reaches through '${d}'`);
        await reader.skip(padded);
        await this.ensureDir(this.parentOf(rel));
        await this.clear(rel, false);
        return link(join(this.dest, target), abs);
      }
      case '3':
      case '4':
      case '6':
        throw corrupt(`'${rel}' is a device file or FIFO`);
      default:
        throw corrupt(`'${rel}' has the unsupported entry type '${type}'`);
    }
  }
}

/** True when the file starts with the gzip magic. */
async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** Extracts the tar (or tar.gz) file `archive` into the existing, empty folder `dest`. */
export async function extractTar(archive: string, dest: string, opts: ExtractOptions): Promise<ExtractResult> {
  const file = createReadStream(archive);
  const gz = await isGzip(archive);
  const stream = gz ? file.pipe(createGunzip()) : file;
  const reader = new ByteReader(stream);
  try {
    return await new Extractor(dest, opts).run(reader);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR' || (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') throw corrupt('bad gzip data');
    throw e;
  } finally {
    reader.close();
    file.destroy();
  }
}
