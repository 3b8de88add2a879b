/**
 * The DU tar extractor (agent/smm/extract.ts) against hostile and malformed archives: each is
 * refused with the TR-181 fault (7035 corrupt, 7227 too big) and nothing is written outside the
 * destination folder.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { extractTar } from '../../../agent/smm/extract.js';
import type { ExtractOptions } from '../../../agent/smm/extract.js';
import { SmmFaultError } from '../../../agent/smm/faults.js';
import { filesUnder } from '../../helpers/smm-scenario.js';
import { tarOf } from '../../helpers/smm-tar.js';
import type { TarEntry } from '../../helpers/smm-tar.js';

const LIMITS: ExtractOptions = { maxBytes: 1024 * 1024, maxEntries: 100 };

function setup(t: Test): { root: string; dest: string; write: (b: Buffer) => string } {
  const root = mkdtempSync(join(tmpdir(), 'smm-extract-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dest = join(root, 'a', 'dest');
  mkdirSync(dest, { recursive: true });
  let n = 0;
  return {
    root,
    dest,
    write: (b) => {
      const f = join(root, `in-${++n}.tar`);
      writeFileSync(f, b);
      return f;
    },
  };
}

async function refused(t: Test, entries: TarEntry[], code: number, why: RegExp, opts: Partial<ExtractOptions> = {}): Promise<void> {
  const { root, dest, write } = setup(t);
  const err = await extractTar(write(tarOf(entries)), dest, { ...LIMITS, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof SmmFaultError, 'refused with a fault');
  t.equal((err as SmmFaultError).fault, code, `fault ${code}`);
  t.match((err as Error).message, why);
  t.strictSame(
    filesUnder(join(root, 'a')).filter((f) => !f.startsWith('dest/')),
    [],
    'nothing written outside the destination',
  );
}

t.test('a good archive: files, folders, relative links, setuid dropped; gzip too', async (t) => {
  const { dest, write } = setup(t);
  const entries: TarEntry[] = [
    { name: 'bin/', type: '5', mode: 0o755 },
    { name: 'bin/tool', data: '#!/bin/sh\necho hi\n', mode: 0o4755 },
    { name: 'bin/alias', type: '2', link: 'tool' },
    { name: 'bin/copy', type: '1', link: 'bin/tool' },
  ];
  const r = await extractTar(write(tarOf(entries, { gzip: true })), dest, LIMITS);
  t.strictSame([r.entries, r.absoluteLinks], [4, 0]);
  t.equal(readFileSync(join(dest, 'bin', 'copy'), 'utf8'), '#!/bin/sh\necho hi\n');
  t.equal(readlinkSync(join(dest, 'bin', 'alias')), 'tool');
  t.equal(statSync(join(dest, 'bin', 'tool')).mode & 0o7777, 0o755, 'setuid bit dropped');
});

t.test('path traversal is refused (7035)', (t) => refused(t, [{ name: '../../escaped', data: 'x' }], 7035, /path traversal/));
t.test('an absolute name is refused (7035)', (t) => refused(t, [{ name: '/tmp/smm-escaped', data: 'x' }], 7035, /absolute path/));
t.test('a symlink out of the package is refused (7035)', (t) => refused(t, [{ name: 'up', type: '2', link: '../../..' }], 7035, /points outside/));
t.test('an absolute symlink outside a root filesystem is refused (7035)', (t) =>
  refused(t, [{ name: 'etc', type: '2', link: '/etc' }], 7035, /points outside/),
);
t.test('writing through a symlink the archive made is refused (7035)', (t) =>
  refused(
    t,
    [
      { name: 'sub/', type: '5' },
      { name: 'via', type: '2', link: 'sub' },
      { name: 'via/file', data: 'x' },
    ],
    7035,
    /is a symlink/,
  ),
);
t.test('a hard link to a file outside is refused (7035)', (t) => refused(t, [{ name: 'h', type: '1', link: '../outside' }], 7035, /path traversal/));
t.test('a device file is refused (7035)', (t) => refused(t, [{ name: 'dev/kmsg', type: '3' }], 7035, /device file/));
t.test('a file claiming 2 GiB is refused before its data is read (7227)', (t) => refused(t, [{ name: 'big', size: 2 ** 31 }], 7227, /more than 1048576 bytes/));
t.test('too many entries are refused (7227)', (t) =>
  refused(
    t,
    [1, 2, 3].map((i) => ({ name: `f${i}`, data: 'x' })),
    7227,
    /more than 2 entries/,
    { maxEntries: 2 },
  ),
);
t.test('a damaged header is refused (7035)', async (t) => {
  const { dest, write } = setup(t);
  const tar = tarOf([{ name: 'f', data: 'x' }]);
  tar[0] = 0x41;
  const err = await extractTar(write(tar), dest, LIMITS).catch((e: unknown) => e);
  t.match((err as Error).message, /checksum/);
});
t.test('a truncated archive is refused (7035)', async (t) => {
  const { dest, write } = setup(t);
  const err = await extractTar(write(tarOf([{ name: 'f', data: 'x'.repeat(2000) }]).subarray(0, 1024)), dest, LIMITS).catch((e: unknown) => e);
  t.match((err as Error).message, /truncated/);
});

t.test('in a root filesystem: absolute links stay (resolved in the container) and whiteouts delete', async (t) => {
  const { dest, write } = setup(t);
  await extractTar(
    write(
      tarOf([
        { name: 'bin/busybox', data: 'bb' },
        { name: 'bin/old', data: 'x' },
        { name: 'bin/sh', type: '2', link: '/bin/busybox' },
      ]),
    ),
    dest,
    { ...LIMITS, rootfs: true },
  );
  const r = await extractTar(write(tarOf([{ name: 'bin/.wh.old' }])), dest, { ...LIMITS, rootfs: true });
  t.equal(readlinkSync(join(dest, 'bin', 'sh')), '/bin/busybox');
  t.notOk(lstatSync(join(dest, 'bin', 'old'), { throwIfNoEntry: false }), 'the whiteout removed bin/old');
  t.equal(r.entries, 1);
});

for (const name of ['.wh..', '.wh...', 'bin/.wh..', 'bin/.wh...', '.wh.']) {
  t.test(`a whiteout '${name}' naming the folder or its parent is refused (7035), nothing outside is removed`, async (t) => {
    const { root, dest, write } = setup(t);
    writeFileSync(join(root, 'a', 'sibling'), 'keep');
    await extractTar(write(tarOf([{ name: 'bin/keep', data: 'k' }])), dest, { ...LIMITS, rootfs: true });
    const err = await extractTar(write(tarOf([{ name }])), dest, { ...LIMITS, rootfs: true }).catch((e: unknown) => e);
    t.ok(err instanceof SmmFaultError, 'refused with a fault');
    t.equal((err as SmmFaultError).fault, 7035);
    t.match((err as Error).message, /names no entry/);
    t.equal(readFileSync(join(root, 'a', 'sibling'), 'utf8'), 'keep', "the destination's parent is untouched");
    t.equal(readFileSync(join(dest, 'bin', 'keep'), 'utf8'), 'k', 'the destination is untouched');
  });
}
