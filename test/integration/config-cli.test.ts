/**
 * `usp-agent config check|show|doc` as a user runs them (real child processes): a good file gives
 * "FILE: ok" and a summary with exit 0; a bad one every problem on its own line with its location
 * and exit 1; secrets never reach `config show`; `config doc` prints the reference docs/config.md holds.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { exited, spawnTs } from '../helpers/child.js';

t.setTimeout(120_000);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'usp-agent.ts');
const dir = mkdtempSync(join(tmpdir(), 'usp-config-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args: string[]) => exited(spawnTs(BIN, args, { cwd: dir }));

const bad = join(dir, 'bad.json');
writeFileSync(
  bad,
  JSON.stringify(
    { identity: { manufacturerOUI: 'abc' }, mtps: [7, { protocol: 'MQTT', port: 99999, colour: 1 }], controllers: [{}], firmware: { banks: 0 } },
    null,
    2,
  ),
);
const broken = join(dir, 'broken.json');
writeFileSync(broken, '{\n  "log": {\n    "level": "info",\n  }\n}\n');
const secret = join(dir, 'secret.json');
writeFileSync(secret, JSON.stringify({ mtps: [{ protocol: 'MQTT', encryption: false, username: 'gw', password: 'hunter2' }] }));

t.test('config check, show and doc', async (t) => {
  const [good, problems, missing, syntax, show, doc, help] = await Promise.all([
    cli('config', 'check', join(ROOT, 'examples', 'config', 'lab-pi.json')),
    cli('config', 'check', bad),
    cli('config', 'check', join(dir, 'nope.json')),
    cli('config', 'check', broken),
    cli('config', 'show', '--config', secret),
    cli('config', 'doc'),
    cli('start', '--help'),
  ]);
  t.equal(good.code, 0, 'a good file: exit 0');
  t.match(good.stdout, /lab-pi\.json: ok\n/);
  t.match(good.stdout, /endpoint: os::00256D-/);
  t.match(good.stdout, /mtp 0: WebSocket server 0\.0\.0\.0:8443\/usp \(mutual TLS\)/);
  t.match(good.stdout, /mtp 1: MQTT 5\.0 broker 127\.0\.0\.1:1883 \(no TLS\)/);
  t.match(good.stdout, /controller: proto::controller-1 via MQTT usp\/controller\/controller-1/);

  t.equal(problems.code, 1, 'a bad file: exit 1');
  t.same(problems.stdout, '');
  t.same(
    problems.stderr.trim().split('\n').sort(),
    [
      `${bad}: controllers.0.endpointId: required`,
      `${bad}: firmware.banks: must be an integer from 1 to 16`,
      `${bad}: identity.manufacturerOUI: 'abc' must be 6 upper-case hex digits`,
      `${bad}: mtps.0: must be an object`,
      `${bad}: mtps.1.colour: unknown setting`,
      `${bad}: mtps.1.port: must be a whole number from 1 to 65535`,
    ],
    'every problem, one per line, with its location',
  );
  t.equal(missing.code, 1);
  t.equal(missing.stderr, `${join(dir, 'nope.json')}: cannot read the file: no such file\n`);
  t.equal(syntax.code, 1);
  t.equal(syntax.stderr, `${broken}: not valid JSON: Expected double-quoted property name at line 4, column 3\n`);

  t.equal(show.code, 0);
  const effective = JSON.parse(show.stdout) as { mtps: { password: string; username: string; port: number }[]; log: { trace: boolean } };
  t.equal(effective.mtps[0]?.password, '********', 'the password is masked');
  t.equal(effective.mtps[0]?.username, 'gw');
  t.equal(effective.mtps[0]?.port, 1883, 'defaults are filled in');
  t.notMatch(show.stdout, /hunter2/);

  t.equal(doc.code, 0);
  t.ok(readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8').includes(doc.stdout), 'config doc prints the reference in docs/config.md');
  t.match(help.stdout, /--trace/);
  t.match(help.stdout, /--log-level <level>/);
});
