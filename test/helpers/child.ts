/**
 * Child node processes for tests: runs TypeScript entry points through tsx (resolved from this
 * project, so it works from any cwd) with a clean environment, as a user's shell would.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** Absolute URL of the tsx loader, usable with `node --import` from any working folder. */
export const TSX_LOADER = import.meta.resolve('tsx');

/** process.env without the test runner's variables (NODE_OPTIONS with its loaders, TAP_*). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(NODE_OPTIONS|TAP|_TAPJS)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `node --import tsx <script> ...args`. */
export function spawnTs(script: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a child's output and resolves when it has exited and its pipes are drained. */
export function exited(child: ChildProcess): Promise<Exited> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
