/**
 * Writes tar archives byte by byte for the extractor tests, including the hostile ones `tar`
 * itself refuses to make (names with `..`, absolute paths, links out of the tree, lying sizes).
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  readonly name: string;
  /** '0' file (default), '1' hard link, '2' symlink, '3' char device, '5' folder. */
  readonly type?: string;
  readonly data?: string | Buffer;
  readonly link?: string;
  readonly mode?: number;
  /** Size to claim in the header (default: the data's). */
  readonly size?: number;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(`${(e.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(e.type ?? '0', 156, 'latin1');
  if (e.link) h.write(e.link, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A tar archive of `entries`; `end` false leaves out the end-of-archive blocks. */
export function tarOf(entries: readonly TarEntry[], opts: { gzip?: boolean; end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(header(e, e.size ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  const tar = Buffer.concat(parts);
  return opts.gzip ? gzipSync(tar) : tar;
}
