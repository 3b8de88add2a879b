/**
 * Software Module Management with the "OCI containers" Execution Environment on runc, over a
 * real MTP (test/helpers/smm-scenario.ts): an OCI image layout built from busybox-static is
 * installed, run as a container, stopped, updated, broken-updated (rolled back) and
 * uninstalled. Needs runc and root; without them the test says why it is skipped.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { haveBusybox } from '../helpers/smm-images.js';
import { lifecycleOverMtp } from '../helpers/smm-scenario.js';

t.setTimeout(90_000);

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'runc needs Linux';
  if (process.getuid?.() !== 0) return 'runc containers need root';
  if (spawnSync('runc', ['--version']).status !== 0) return 'runc is not installed (scripts/services.sh installs it)';
  if (!haveBusybox()) return 'needs /bin/busybox from busybox-static';
  return undefined;
}

// Where the host lacks runc the test is reported as skipped with the reason, never as passed.
const skip = missing() ?? false;
t.test('OCI image DU on runc: InstallDU → Active → Idle → Update 2.0 → broken 3.0 rolls back → Uninstall', { skip }, (t) => lifecycleOverMtp(t, 'oci'));
