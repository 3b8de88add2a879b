/**
 * WebSocket MTP, client side (TR-369 R-WS.5): the agent's WebSocketClientMtp against a real ws
 * controller server (https + mutual TLS, or plain) on an ephemeral port: handshake, frames,
 * keep-alive, R-WS.19 retries, server certificate checks. TP-469 7.x ids where they apply.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { CertAndKey } from '../../certs/pki.js';
import type { InboundRecord, MtpStatus } from '../../agent/mtp/mtp.js';
import { MtpError } from '../../agent/mtp/mtp.js';
import { WebSocketClientMtp } from '../../agent/mtp/websocket-client.js';
import type { WsClientConfig } from '../../agent/mtp/websocket-client.js';
import { Inbox } from '../helpers/controller-transport.js';
import { startWsControllerServer } from '../helpers/controller-ws.js';
import type { WsControllerServerOptions } from '../helpers/controller-ws.js';
import { AGENT, agentTls, big, bytes, capture, certs, CTRL, freePort, MODES, OTHER_CTRL, pems, WAIT, waitFor } from '../helpers/ws-fixtures.js';
import type { Mode } from '../helpers/ws-fixtures.js';

// ---- agent client MTP + controller server ----

async function controllerServer(t: Test, mode: Mode, extra: Partial<WsControllerServerOptions> = {}) {
  const cs = await startWsControllerServer({ controllerEndpointId: CTRL, ...(mode === 'mtls' && { tls: pems(certs.ctrl) }), ...extra });
  t.teardown(() => cs.close());
  return cs;
}

function agentClient(t: Test, mode: Mode, port: number, extra: Partial<WsClientConfig> = {}) {
  const log = capture();
  const mtp = new WebSocketClientMtp({
    id: `ws-client-${mode}`,
    controllerEndpointId: CTRL,
    host: '127.0.0.1',
    port,
    path: '/usp',
    encryption: mode === 'mtls',
    agentEndpointId: AGENT,
    keepAliveS: 0,
    ...(mode === 'mtls' && { tls: agentTls() }),
    retry: { minWaitS: 1, multiplierX1000: 1000 },
    logger: log.logger,
    ...extra,
  });
  const status = new Inbox<MtpStatus>();
  const records = new Inbox<InboundRecord>();
  mtp.onStatus((s) => status.push(s));
  mtp.onRecord((r) => records.push(r));
  t.teardown(() => mtp.stop());
  const up = (timeoutMs = WAIT) => waitFor(status, (s) => s.state === 'up', "'up'", timeoutMs);
  const error = (timeoutMs = WAIT) => waitFor(status, (s) => s.state === 'error', "'error'", timeoutMs);
  return { mtp, status, records, log, up, error };
}

/** Retry #n in an 'error' status detail. */
const retryNo = (s: MtpStatus): number => Number(/retry #(\d+)/.exec(s.detail ?? '')?.[1]);
const retryMs = (s: MtpStatus): number => Number(/in (\d+) ms/.exec(s.detail ?? '')?.[1]);

for (const mode of MODES) {
  // Scenarios are independent (own ports, own MTPs) and mostly wait on back-off timers: run them side by side.
  t.test(`client MTP over ${mode} (R-WS.5)`, { jobs: 4 }, async (t) => {
    t.test('connects with ?eid= and v1.usp, reports up for the controller, records round-trip (TP-469 7.1)', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      const up = await a.up();
      t.equal(up.peerEndpointId, CTRL, "'up' names the controller, for its WebSocketConnectRecord");
      t.equal(a.mtp.attempts, 0);
      const s = await cs.nextSession();
      const hs = cs.handshakes[0]!;
      t.equal(hs.eid, AGENT, 'eid query parameter (R-WS.10b)');
      t.match(hs.headers['sec-websocket-protocol'], /^v1\.usp$/, 'offers v1.usp (R-WS.10)');
      t.equal(hs.headers['sec-websocket-extensions'], undefined, 'no extensions offered by default');
      if (mode === 'mtls') t.same(hs.certEndpointIds, [AGENT], 'the agent presents its URN certificate');

      await s.send(big);
      const rec = await a.records.next(WAIT, 'record');
      t.same(Buffer.from(rec.bytes), Buffer.from(big));
      t.same(rec.replyTo, { kind: 'websocket', endpointId: CTRL });
      t.equal(rec.peerEndpointId, mode === 'mtls' ? CTRL : undefined);
      await a.mtp.send(bytes(3, 0, 4), { kind: 'websocket', endpointId: CTRL });
      t.same([...(await s.nextRecord())], [3, 0, 4]);
      t.same(s.texts, []);
      await t.rejects(a.mtp.send(bytes(1), { kind: 'websocket', endpointId: OTHER_CTRL }), MtpError);
    });

    t.test('fragmented input is reassembled (R-WS.14b, TP-469 7.12)', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      await a.up();
      const s = await cs.nextSession();
      await s.sendFragmented(big, 4);
      t.same(Buffer.from((await a.records.next(WAIT, 'record')).bytes), Buffer.from(big));
      a.mtp.closeBadRecord(CTRL);
      t.equal((await s.closed).code, 1003, 'closeBadRecord() closes with 1003 (R-WS.16)');
    });

    t.test('a text frame closes with 1003 and the agent reconnects (R-WS.16, R-WS.19)', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      await a.up();
      const s = await cs.nextSession();
      await s.sendText('hello');
      t.equal((await s.closed).code, 1003);
      const err = await a.error();
      t.equal(err.code, 'MTP_WS_CLOSED');
      await a.up(4000);
      await cs.nextSession();
      t.equal(a.mtp.attempts, 0, 'the retry count is reset once the session is up (R-WS.20)');
    });

    t.test('a response without v1.usp is refused and retried (R-WS.12)', async (t) => {
      const cs = await controllerServer(t, mode, { answerSubprotocol: false });
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      const e1 = await a.error();
      t.equal(e1.code, 'MTP_WS_NO_SUBPROTOCOL');
      t.equal(retryNo(e1), 1);
      const e2 = await a.error(4000);
      t.equal(retryNo(e2), 2);
      t.notOk(a.mtp.connected);
    });

    t.test('an echoed bbf-usp-protocol extension is tolerated (R-WS.11b, TP-469 7.11)', async (t) => {
      const cs = await controllerServer(t, mode, { echoExtension: 'always' });
      const offering = agentClient(t, mode, cs.port, { offerEidExtension: true });
      await offering.mtp.start();
      await offering.up();
      t.equal(cs.handshakes[0]?.headers['sec-websocket-extensions'], `bbf-usp-protocol; eid="${AGENT}"`, 'offered when configured');
      t.equal(offering.mtp.serverEndpointId, CTRL, 'the echoed eid is read');
      await offering.mtp.stop();
      const silent = agentClient(t, mode, cs.port);
      await silent.mtp.start();
      await silent.up();
      t.pass('an unsolicited echo is tolerated too');
    });

    t.test('keep-alive: pings every KeepAliveInterval, answers pings (R-WS.17/18, TP-469 7.7)', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port, { keepAliveS: 1 });
      await a.mtp.start();
      await a.up();
      const s = await cs.nextSession();
      s.pong();
      await s.nextPing(3000);
      const pong = new Promise<void>((resolve) => s.ws.once('pong', () => resolve()));
      s.ws.ping();
      await pong;
      t.pass('the agent pinged and answered our ping');
      t.ok(a.mtp.connected, 'an unsolicited pong changes nothing');
    });

    t.test('stop() runs the close handshake with 1000 (R-WS.8, TP-469 7.4)', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      await a.up();
      const s = await cs.nextSession();
      await a.mtp.stop();
      t.same(await s.closed, { code: 1000, reason: 'agent stopping' });
      t.equal((await waitFor(a.status, (x) => x.state === 'down', "'down'")).peerEndpointId, CTRL);
    });

    t.test('controller down at start: retries with growing waits, then up when it comes (R-WS.19/20, TP-469 7.8)', async (t) => {
      const port = await freePort();
      const a = agentClient(t, mode, port, { retry: { minWaitS: 1, multiplierX1000: 2000 } });
      await a.mtp.start();
      const e1 = await a.error();
      t.equal(e1.code, 'MTP_CONNECT_REFUSED');
      t.equal(retryNo(e1), 1);
      t.ok(retryMs(e1) >= 1000 && retryMs(e1) <= 2000, `retry #1 within [1, 2] s (${retryMs(e1)} ms)`);
      const e2 = await a.error(4000);
      t.equal(retryNo(e2), 2);
      t.ok(retryMs(e2) >= 2000 && retryMs(e2) <= 4000, `retry #2 within [2, 4] s (${retryMs(e2)} ms)`);
      t.equal(a.mtp.attempts, 2);
      await controllerServer(t, mode, { port });
      await a.up(6000);
      t.equal(a.mtp.attempts, 0, 'reset after the session is established (R-WS.20)');
    });

    t.test('controller restart mid-run: the agent reconnects and reports up again', async (t) => {
      const cs = await controllerServer(t, mode);
      const a = agentClient(t, mode, cs.port);
      await a.mtp.start();
      await a.up();
      await cs.nextSession();
      const port = cs.port;
      await cs.close();
      const err = await a.error();
      t.match(err.detail, /1001/, 'the controller closed with 1001');
      const again = await controllerServer(t, mode, { port });
      t.equal((await a.up(4000)).peerEndpointId, CTRL);
      const s = await again.nextSession();
      await a.mtp.send(bytes(8), { kind: 'websocket', endpointId: CTRL });
      t.same([...(await s.nextRecord())], [8]);

      await again.kill();
      t.equal((await a.error()).code, 'MTP_WS_CLOSED', 'a crash (no close frame) is noticed too');
      await controllerServer(t, mode, { port });
      await a.up(4000);
    });
  });
}

t.test('client MTP, plain ws: an EID with % is sent as %25 (R-WS.10c)', async (t) => {
  const cs = await controllerServer(t, 'plain');
  const a = agentClient(t, 'plain', cs.port, { agentEndpointId: 'proto::a%2Fb', path: 'usp' });
  t.equal(a.mtp.url, `ws://127.0.0.1:${cs.port}/usp?eid=proto::a%252Fb`);
  await a.mtp.start();
  await a.up();
  t.match(cs.handshakes[0]?.url, /\?eid=proto::a%252Fb$/);
  t.equal(cs.handshakes[0]?.eid, 'proto::a%2Fb');
});

t.test('client MTP, mutual TLS: server certificate checks (R-WS.22, R-SEC.0a)', { jobs: 4 }, async (t) => {
  const failsWith = async (t: Test, serverCert: CertAndKey, code: string, extra: Partial<WsClientConfig> = {}) => {
    const cs = await controllerServer(t, 'mtls', { tls: pems(serverCert) });
    const a = agentClient(t, 'mtls', cs.port, { retry: { minWaitS: 1, multiplierX1000: 1000 }, ...extra });
    await a.mtp.start();
    const e1 = await a.error();
    t.equal(e1.code, code);
    t.equal(retryNo(e1), 1);
    const e2 = await a.error(4000);
    t.equal(e2.code, code);
    t.equal(retryNo(e2), 2, 'keeps retrying with a growing attempt count');
    t.equal(cs.openSessions, 0, 'no session');
    return cs;
  };
  t.test('server certificate from another CA → MTP_TLS_UNKNOWN_CA', (t) => failsWith(t, certs.ctrlRogue, 'MTP_TLS_UNKNOWN_CA'));
  t.test('expired server certificate → MTP_TLS_CERT_EXPIRED', (t) => failsWith(t, certs.ctrlExpired, 'MTP_TLS_CERT_EXPIRED'));
  t.test('server certificate naming another controller → MTP_TLS_PEER_MISMATCH', (t) =>
    failsWith(t, certs.otherCtrl, 'MTP_TLS_PEER_MISMATCH', { serverName: 'elsewhere.example' }),
  );
  t.test('server certificate without URN and not valid for the host → MTP_TLS_HOSTNAME', (t) => failsWith(t, certs.ctrlNoUrnOtherHost, 'MTP_TLS_HOSTNAME'));
  t.test('server certificate without URN but valid for the host → accepted', async (t) => {
    const cs = await controllerServer(t, 'mtls', { tls: pems(certs.ctrlNoUrn) });
    const a = agentClient(t, 'mtls', cs.port);
    await a.mtp.start();
    t.equal((await a.up()).peerEndpointId, CTRL);
  });
  t.test("the agent's own expired certificate → the controller refuses it, the agent retries", async (t) => {
    const cs = await controllerServer(t, 'mtls');
    const a = agentClient(t, 'mtls', cs.port, { tls: agentTls(certs.agentExpired) });
    await a.mtp.start();
    const e1 = await a.error();
    t.equal(e1.code, 'MTP_CONNECTION_RESET', 'Node servers drop a bad client certificate without an alert');
    t.equal((await cs.nextTlsError()).authorizationError, 'CERT_HAS_EXPIRED', 'the controller saw an expired certificate');
    t.equal(retryNo(await a.error(4000)), 2);
  });
});
