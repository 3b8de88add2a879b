/**
 * `usp-agent start --trace` as a lab tester uses it: a real agent process with a WebSocket MTP, a
 * controller that sends a Get over it (mutual TLS with the lab PKI the agent makes), and the trace on stderr showing both Records (the Get in,
 * the GetResp out) with direction, MTP, peer and the decoded Msg; with `log.format: json` every
 * line the agent writes is one JSON object. SIGTERM then stops it gracefully: MTP down, database
 * closed (no write-ahead log left behind), exit status 0.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { exited, spawnTs } from '../helpers/child.js';
import { connectWsController } from '../helpers/controller-ws.js';
import type { WsControllerClient } from '../helpers/controller-ws.js';
import { buildRecord, buildRequest, decodeMsg, decodeRecord, encodeMsg, encodeRecord } from '../../proto/index.js';
import type { DecodedMsg } from '../../proto/index.js';

t.setTimeout(120_000);

const BIN = fileURLToPath(new URL('../../bin/usp-agent.ts', import.meta.url));
const AGENT = 'proto::trace-agent';
const CONTROLLER = 'proto::controller-1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Starts the agent with `--trace` and a plain WebSocket server MTP; resolves once it runs. */
async function startTracing(t: Tap, format: 'text' | 'json') {
  const dir = mkdtempSync(join(tmpdir(), 'usp-trace-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const args = ['start', '--trace', '--data-dir', 'data', '--set', `endpointId=${AGENT}`, '--set', `log.format=${format}`];
  args.push('--set', `mtps=${JSON.stringify([{ protocol: 'WebSocket', port }])}`);
  const child = spawnTs(BIN, args, { cwd: dir });
  const done = exited(child);
  let log = '';
  const waiters: (() => void)[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await done;
    }
  });
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!ok()) {
      if (child.exitCode !== null) throw new Error(`the agent exited before ${what}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within 60 s:\n${log}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  // AGT-I01 says the agent runs; its WebSocket server MTP may bind a moment later (TRN-I01 … up).
  await until('start', () => log.includes('AGT-I01') && log.includes(`listening on port ${port}`));
  // The lab PKI the agent made on first start holds a certificate for its configured controller.
  const pki = join(dir, 'data', 'pki');
  const tls = { cert: join(pki, 'controller-1.crt'), key: join(pki, 'controller-1.key'), ca: join(pki, 'ca.crt') };
  const ws = await connectWsController({ url: `wss://127.0.0.1:${port}/usp`, controllerEndpointId: CONTROLLER, tls });
  t.teardown(() => ws.close());
  return { dir, child, done, ws, until, log: () => log };
}

/** Sends a Get as the controller and waits for the reply with its msg_id (connect records are skipped). */
async function get(ws: WsControllerClient, msgId: string, path: string): Promise<DecodedMsg> {
  const payload = encodeMsg(buildRequest(msgId, { get: { paramPaths: [path] } }));
  await ws.send(encodeRecord(buildRecord({ toId: AGENT, fromId: CONTROLLER, payload })));
  for (;;) {
    const rec = decodeRecord(await ws.nextRecord(10_000));
    const bytes = rec.noSessionContext?.payload;
    const msg = bytes ? decodeMsg(bytes) : undefined;
    if (msg?.header.msgId === msgId) return msg;
  }
}

type Tap = { teardown(fn: () => unknown): void };

t.test('text trace: the Get in and the GetResp out, decoded, with direction, MTP and peer; SIGTERM stops cleanly', async (t) => {
  const a = await startTracing(t, 'text');
  const msgId = 'trace-text-1';
  const reply = await get(a.ws, msgId, 'Device.LocalAgent.EndpointID');
  t.equal(reply.body.response?.getResp?.reqPathResults?.[0]?.resolvedPathResults?.[0]?.resultParams?.EndpointID, AGENT, 'the Get is answered');
  const inHead = new RegExp(`TRACE USP-T01 in  \\S+ from ${CONTROLLER} \\(WebSocket\\): GET id="${msgId}" request\\.get\\n\\{`);
  const outHead = new RegExp(`TRACE USP-T01 out \\S+ to ${CONTROLLER} \\(WebSocket\\): GET_RESP id="${msgId}" response\\.getResp\\n\\{`);
  await a.until('the traced records', () => outHead.test(a.log()));
  const log = a.log();
  t.match(log, inHead, 'the Get is traced on the way in');
  t.match(log, outHead, 'the GetResp is traced on the way out');
  // The decoded Msg follows each head line as indented JSON.
  const afterIn = log.slice(log.search(inHead));
  const inJson = JSON.parse(afterIn.slice(afterIn.indexOf('\n') + 1, afterIn.indexOf('\n}') + 2)) as {
    header: { msgType: string };
    body: { request: { get: { paramPaths: string[] } } };
  };
  t.same(inJson.body.request.get.paramPaths, ['Device.LocalAgent.EndpointID'], 'the Get Msg, decoded');
  t.equal(inJson.header.msgType, 'GET');
  t.match(log, new RegExp(`TRACE USP-T01 out \\S+ to ${CONTROLLER} \\(WebSocket\\): websocketConnect record`), 'the WebSocketConnect record is traced too');
  t.match(log, new RegExp(`"${AGENT}"`), 'the GetResp carries the value');

  a.child.kill('SIGTERM');
  const end = await a.done;
  t.equal(end.code, 0, 'SIGTERM: exit status 0');
  t.match(end.stderr, /AGT-I04 SIGTERM received, stopping/);
  t.match(end.stderr, /TRN-I01 \S+ down/, 'the MTP is closed');
  t.match(end.stderr, /AGT-I03 agent stopped/);
  t.ok(existsSync(join(a.dir, 'data', 'usp-agent.db')), 'the database is there');
  t.notOk(existsSync(join(a.dir, 'data', 'usp-agent.db-wal')), 'and closed: its write-ahead log was checkpointed and removed');
  t.notOk(existsSync(join(a.dir, 'data', 'usp-agent.sock')), 'the admin socket is gone');
});

t.test('log.format json: every line is a JSON object, trace entries included', async (t) => {
  const a = await startTracing(t, 'json');
  const msgId = 'trace-json-1';
  const reply = await get(a.ws, msgId, 'Device.DeviceInfo.SerialNumber');
  t.ok(reply.body.response?.getResp, 'the Get is answered');
  const traced = (dir: string): boolean => a.log().includes(`"dir":"${dir}"`) && a.log().includes(`"msgId":"${msgId}"`);
  await a.until(
    'the traced records',
    () =>
      traced('out') &&
      a
        .log()
        .split('\n')
        .filter((l) => l.includes(msgId)).length >= 2,
  );
  a.child.kill('SIGTERM');
  const end = await a.done;
  t.equal(end.code, 0, 'SIGTERM: exit status 0');
  const lines = end.stderr.split('\n').filter((l) => l !== '');
  const entries = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      t.fail(`not a JSON line: ${l}`);
      return {};
    }
  });
  t.ok(
    entries.every((e) => typeof e.time === 'string' && typeof e.level === 'string' && typeof e.id === 'string'),
    'each has time, level and id',
  );
  const mine = entries.filter((e) => e.id === 'USP-T01' && JSON.stringify(e.msg ?? {}).includes(msgId));
  t.same(
    mine.map((e) => [e.dir, e.from, e.to, (e.msg as { header: { msgType: string } }).header.msgType]),
    [
      ['in', CONTROLLER, AGENT, 'GET'],
      ['out', AGENT, CONTROLLER, 'GET_RESP'],
    ],
    'the Get in and the GetResp out, with both endpoints and the decoded Msg',
  );
  t.ok(
    mine.every((e) => typeof e.mtp === 'string' && e.address === 'WebSocket'),
    'with the MTP they used',
  );
  t.ok(
    entries.some((e) => e.id === 'AGT-I03'),
    'the stop is logged as JSON too',
  );
});
