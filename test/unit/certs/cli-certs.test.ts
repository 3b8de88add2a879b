// agent/admin/cli-certs.ts: `usp-agent certs init|show`, run as a real child process of the CLI
// entry, so exit codes and stderr are what a person sees.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { endpointIdFromCertPem } from '../../../certs/pki.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = join(REPO, 'bin', 'usp-agent.ts');
const root = mkdtempSync(join(tmpdir(), 'usp-certs-cli-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.USP_AGENT_CONFIG;
  delete env.USP_AGENT_SET;
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: REPO, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

t.test('certs init makes the lab PKI with the given IDs, and a second run keeps it', async (t) => {
  const dir = join(root, 'pki');
  const first = await cli('certs', 'init', '--dir', dir, '--endpoint-id', 'proto::agent-cli', '--controller', 'proto::ctl-1', 'proto::ctl-2');
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /made {2}agent\.crt, agent\.key\s+agent proto::agent-cli/);
  t.match(first.stdout, /made {2}controller-2\.crt, controller-2\.key\s+controller proto::ctl-2/);
  t.equal(endpointIdFromCertPem(readFileSync(join(dir, 'agent.crt'), 'utf8')), 'proto::agent-cli');
  t.equal(endpointIdFromCertPem(readFileSync(join(dir, 'controller-1.crt'), 'utf8')), 'proto::ctl-1');

  const second = await cli('certs', 'init', '--dir', dir, '--endpoint-id', 'proto::agent-cli', '--controller', 'proto::ctl-1', '--controller', 'proto::ctl-2');
  t.equal(second.code, 0, second.stderr);
  t.notMatch(second.stdout, /made/);
  t.match(second.stdout, /already existed/);

  const show = await cli('certs', 'show', join(dir, 'agent.crt'));
  t.equal(show.code, 0, show.stderr);
  t.match(show.stdout, /^subject\s+CN=proto::agent-cli$/m);
  t.match(show.stdout, /^endpoint IDs\s+proto::agent-cli$/m);
  t.match(show.stdout, /^SHA-256\s+([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
});

t.test('certs init defaults: <dataDir>/pki, the Endpoint ID from the config, controller proto::controller-1', async (t) => {
  const dataDir = join(root, 'data');
  const r = await cli('certs', 'init', '--data-dir', dataDir);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `PKI folder ${join(dataDir, 'pki')}`);
  t.match(r.stdout, /controller proto::controller-1/);
  const eid = endpointIdFromCertPem(readFileSync(join(dataDir, 'pki', 'agent.crt'), 'utf8'));
  t.match(r.stdout, `agent ${eid ?? 'none'}`);
});

t.test('bad input gives one line on stderr and a non-zero exit', async (t) => {
  const plainFile = join(root, 'not-a-folder');
  writeFileSync(plainFile, 'x');
  const cases: [string, string[], RegExp][] = [
    ['unwritable PKI folder', ['certs', 'init', '--dir', join(plainFile, 'pki'), '--endpoint-id', 'proto::a'], /ENOTDIR/],
    ['bad Endpoint ID', ['certs', 'init', '--dir', join(root, 'x'), '--endpoint-id', 'not an id'], /not an Endpoint ID/],
    ['a file that is not a certificate', ['certs', 'show', plainFile], /not a PEM certificate/],
    ['a missing file', ['certs', 'show', join(root, 'missing.crt')], /cannot read .*ENOENT/],
  ];
  const runs = await Promise.all(cases.map(([, args]) => cli(...args)));
  for (const [i, [what, , message]] of cases.entries()) {
    const r = runs[i]!;
    t.not(r.code, 0, `${what}: exit code`);
    t.match(r.stderr, message, `${what}: message`);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, `${what}: one line`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
  }
});
