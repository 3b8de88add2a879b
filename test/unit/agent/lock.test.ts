import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { DatabaseLockedError, lockDatabase } from '../../../agent/lock.js';
import { spawnSync } from 'node:child_process';

t.test('one agent per database: a second lock is refused, release frees it, a dead owner\'s lock is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usp-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'usp-agent.db');
  const release = lockDatabase(db);
  // The same pid re-locking counts as stale (a restart in-process); another live pid does not.
  writeFileSync(`${db}.lock`, String(process.ppid));
  t.throws(() => lockDatabase(db), DatabaseLockedError, 'a live owner keeps the lock');
  // A pid that has exited: take the lock over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(`${db}.lock`, dead);
  const again = lockDatabase(db);
  t.ok(existsSync(`${db}.lock`));
  again();
  t.notOk(existsSync(`${db}.lock`), 'released');
  release(); // releasing a lock that is no longer ours leaves others' files alone
});
