/**
 * Software Module Management with the "Linux processes" Execution Environment, over a real MTP
 * (test/helpers/smm-scenario.ts): a process DU built from busybox-static is installed, run,
 * stopped, updated, broken-updated (rolled back) and uninstalled.
 */
import t from 'tap';
import { haveBusybox } from '../helpers/smm-images.js';
import { lifecycleOverMtp } from '../helpers/smm-scenario.js';

t.setTimeout(90_000);

const skip = haveBusybox() ? false : 'needs /bin/busybox from busybox-static (scripts/services.sh installs it)';
t.test('process DU: InstallDU → Active → Idle → Update 2.0 → broken 3.0 rolls back → Uninstall', { skip }, (t) => lifecycleOverMtp(t, 'process'));
