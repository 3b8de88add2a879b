/**
 * WebSocket MTP, server side (TR-369 R-WS.6): the agent's WebSocketServerMtp against a real ws
 * controller client on an ephemeral port, over plain ws and mutual TLS. TP-469 7.x ids where
 * they apply. The client side is in mtp-websocket-client.test.ts.
 */
import t from 'tap';
import type { Test } from 'tap';
import type { InboundRecord, MtpStatus } from '../../agent/mtp/mtp.js';
import { describeWsError } from '../../agent/mtp/websocket-common.js';
import { WebSocketServerMtp } from '../../agent/mtp/websocket-server.js';
import type { WsServerConfig } from '../../agent/mtp/websocket-server.js';
import { Inbox } from '../helpers/controller-transport.js';
import { connectWsController } from '../helpers/controller-ws.js';
import type { WsControllerClientOptions } from '../helpers/controller-ws.js';
import { AGENT, agentTls, big, bytes, ca, capture, certs, CTRL, drain, MODES, OTHER_CTRL, pems, WAIT, waitFor } from '../helpers/ws-fixtures.js';
import type { Mode } from '../helpers/ws-fixtures.js';

// ---- agent server MTP + controller client ----

async function agentServer(t: Test, mode: Mode, extra: Partial<WsServerConfig> = {}) {
  const log = capture();
  const mtp = new WebSocketServerMtp({
    id: `ws-server-${mode}`,
    port: 0,
    path: '/usp',
    encryption: mode === 'mtls',
    agentEndpointId: AGENT,
    keepAliveS: 0,
    ...(mode === 'mtls' ? { tls: agentTls() } : { allowUnauthenticated: true }),
    logger: log.logger,
    ...extra,
  });
  const status = new Inbox<MtpStatus>();
  const records = new Inbox<InboundRecord>();
  mtp.onStatus((s) => status.push(s));
  mtp.onRecord((r) => records.push(r));
  await mtp.start();
  t.teardown(() => mtp.stop());
  const url = `${mode === 'mtls' ? 'wss' : 'ws'}://127.0.0.1:${mtp.port}/usp`;
  const connect = async (o: Partial<WsControllerClientOptions> = {}) => {
    const c = await connectWsController({ url, controllerEndpointId: CTRL, ...(mode === 'mtls' && { tls: pems(certs.ctrl) }), ...o });
    t.teardown(() => c.close());
    return c;
  };
  const up = (eid = CTRL) => waitFor(status, (s) => s.state === 'up' && s.peerEndpointId === eid, `'up' for ${eid}`);
  const down = (eid = CTRL) => waitFor(status, (s) => s.state === 'down' && s.peerEndpointId === eid, `'down' for ${eid}`);
  return { mtp, status, records, log, url, connect, up, down };
}

/** Expects the handshake to fail and returns the MTP code the controller's error maps to. */
async function refusedCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return describeWsError(e).code;
  }
  throw new Error('the connection was accepted');
}

for (const mode of MODES) {
  t.test(`server MTP over ${mode} (R-WS.6)`, async (t) => {
    t.test('a controller offering v1.usp gets a session; records round-trip as binary frames (TP-469 7.1)', async (t) => {
      const a = await agentServer(t, mode);
      const listening = await a.status.next(WAIT, 'listening status');
      t.same([listening.state, listening.peerEndpointId], ['up', undefined], "listening is reported as 'up' without a peer");
      const c = await a.connect();
      t.equal(c.protocol, 'v1.usp', 'the agent answered the v1.usp subprotocol (R-WS.11)');
      const up = await a.up();
      t.equal(up.peerEndpointId, CTRL, 'status names the controller');
      t.same(a.mtp.controllers, [CTRL]);

      await c.send(big);
      const rec = await a.records.next(WAIT, 'record');
      t.same(Buffer.from(rec.bytes), Buffer.from(big), 'bytes arrive unchanged');
      t.same(rec.replyTo, { kind: 'websocket', endpointId: CTRL }, 'replyTo is this controller connection (R-MSG.0a)');
      t.equal(
        rec.peerEndpointId,
        mode === 'mtls' ? CTRL : undefined,
        mode === 'mtls' ? 'peer EID from the certificate URN' : 'no authenticated peer on plain ws',
      );

      await a.mtp.send(bytes(1, 0, 2), { kind: 'websocket', endpointId: CTRL });
      t.same([...(await c.nextRecord())], [1, 0, 2], 'agent → controller in a binary frame (R-WS.14)');
      t.same(c.texts, [], 'no text frames from the agent');
    });

    t.test('a fragmented binary message is delivered as one record (R-WS.14b, TP-469 7.12)', async (t) => {
      const a = await agentServer(t, mode);
      const c = await a.connect();
      await a.up();
      await c.sendFragmented(big, 5);
      const rec = await a.records.next(WAIT, 'record');
      t.equal(rec.bytes.length, big.length);
      t.same(Buffer.from(rec.bytes), Buffer.from(big));
    });

    t.test('a text frame closes the session with 1003 (R-WS.16, TP-469 7.6)', async (t) => {
      const a = await agentServer(t, mode);
      const c = await a.connect();
      await a.up();
      await c.sendText('not a record');
      t.equal((await c.closed).code, 1003);
      const down = await a.down();
      t.match(down.detail, /1003/);
      t.equal(a.records.size, 0, 'nothing reached the record layer');
      await t.rejects(a.mtp.send(bytes(1), { kind: 'websocket', endpointId: CTRL }), { code: 'MTP_NO_SESSION' });
    });

    t.test('closeBadRecord() closes that controller with 1003 (R-WS.16)', async (t) => {
      const a = await agentServer(t, mode);
      const c = await a.connect();
      await a.up();
      a.mtp.closeBadRecord(CTRL);
      t.same(await c.closed, { code: 1003, reason: 'cannot extract a USP Record' });
    });

    t.test('a request without the v1.usp subprotocol is refused (R-WS.12a)', async (t) => {
      const a = await agentServer(t, mode);
      t.equal(await refusedCode(a.connect({ subprotocols: [] })), 'MTP_WS_HANDSHAKE_REFUSED', 'no subprotocol → HTTP 400');
      t.equal(await refusedCode(a.connect({ subprotocols: ['v2.other'] })), 'MTP_WS_HANDSHAKE_REFUSED', 'another subprotocol → HTTP 400');
      await waitFor(a.log.lines, (l) => l.includes('MTP_WS_NO_SUBPROTOCOL'), 'refusal log');
      t.same(a.mtp.controllers, []);
      t.equal(await refusedCode(a.connect({ url: a.url.replace('/usp', '/elsewhere') })), 'MTP_WS_HANDSHAKE_REFUSED', 'wrong path → 404');
    });

    t.test('bbf-usp-protocol is echoed with the agent EID when offered, and optional (R-WS.11a/c, TP-469 7.11)', async (t) => {
      const a = await agentServer(t, mode);
      const offered = await a.connect({ offerExtension: true });
      t.equal(offered.extensionHeader, `bbf-usp-protocol; eid="${AGENT}"`);
      await offered.close();
      const plain = await a.connect();
      t.equal(plain.extensionHeader, undefined, 'not offered → not sent, and not an error');
    });

    t.test('a second connection from the same controller closes the first (R-WS.4, TP-469 7.2)', async (t) => {
      const a = await agentServer(t, mode);
      const first = await a.connect();
      await a.up();
      const second = await a.connect();
      await a.up();
      t.equal((await first.closed).code, 1008, 'the older session is closed');
      t.ok(second.open, 'the newer session stays');
      t.same(a.mtp.controllers, [CTRL]);
      await a.mtp.send(bytes(7), { kind: 'websocket', endpointId: CTRL });
      t.same([...(await second.nextRecord())], [7], 'sends go to the newer session');
      await a.mtp.stop();
      const downs = (await drain(a.status)).filter((s) => s.state === 'down' && s.peerEndpointId === CTRL);
      t.equal(downs.length, 1, "one 'down' (at stop), none for the replaced session");
    });

    t.test('keep-alive: the agent pings every KeepAliveInterval and ignores unsolicited pongs (R-WS.17/18, TP-469 7.7)', async (t) => {
      const a = await agentServer(t, mode, { keepAliveS: 1 });
      const c = await a.connect();
      await a.up();
      c.pong();
      const p1 = await c.nextPing(3000);
      const p2 = await c.nextPing(3000);
      t.ok(p2 - p1 >= 500, `pings are spaced by the interval (${p2 - p1} ms)`);
      await c.send(bytes(9));
      t.same([...(await a.records.next(WAIT, 'record')).bytes], [9], 'session still fine after an unsolicited pong');
    });

    t.test('send() to a controller without a session fails with MTP_NO_SESSION', async (t) => {
      const a = await agentServer(t, mode);
      await t.rejects(a.mtp.send(bytes(1), { kind: 'websocket', endpointId: OTHER_CTRL }), { code: 'MTP_NO_SESSION' });
      await t.rejects(a.mtp.send(bytes(1), { kind: 'mqtt', topic: 'x' }), { code: 'MTP_BAD_ADDRESS' });
    });

    t.test('stop() closes every session with the close handshake (R-WS.8, TP-469 7.4)', async (t) => {
      const a = await agentServer(t, mode);
      const c = await a.connect();
      await a.up();
      await a.mtp.stop();
      t.same(await c.closed, { code: 1001, reason: 'agent stopping' });
      await a.down();
    });
  });
}

t.test('server MTP, plain ws: identity from the eid query parameter (R-WS.10b/c)', async (t) => {
  t.test('the eid value is percent-decoded (%25 → %)', async (t) => {
    const a = await agentServer(t, 'plain');
    const eid = 'proto::ctl%41';
    await a.connect({ controllerEndpointId: eid });
    t.equal((await a.up(eid)).peerEndpointId, eid);
  });
  t.test('no eid → refused with 400', async (t) => {
    const a = await agentServer(t, 'plain');
    t.equal(await refusedCode(a.connect({ eid: null })), 'MTP_WS_HANDSHAKE_REFUSED');
    await waitFor(a.log.lines, (l) => l.includes('MTP_WS_NO_EID'), 'refusal log');
  });
  t.test('unauthenticated controllers are refused unless allowUnauthenticated', async (t) => {
    const a = await agentServer(t, 'plain', { allowUnauthenticated: false });
    t.equal(await refusedCode(a.connect()), 'MTP_WS_HANDSHAKE_REFUSED');
    await waitFor(a.log.lines, (l) => l.includes('MTP_WS_UNAUTHENTICATED'), 'refusal log');
  });
});

t.test('server MTP, mutual TLS: the controller is its certificate (R-MTP.1, R-SEC.0a)', async (t) => {
  t.test('an eid query value that contradicts the certificate is refused (403)', async (t) => {
    const a = await agentServer(t, 'mtls');
    t.equal(await refusedCode(a.connect({ eid: OTHER_CTRL })), 'MTP_WS_HANDSHAKE_REFUSED');
    await waitFor(a.log.lines, (l) => l.includes('MTP_WS_EID_MISMATCH'), 'refusal log');
  });
  t.test('no eid query value: the certificate URN is enough', async (t) => {
    const a = await agentServer(t, 'mtls');
    await a.connect({ eid: null });
    t.equal((await a.up()).peerEndpointId, CTRL);
  });
  t.test('no client certificate → TLS refusal (certificate required)', async (t) => {
    const a = await agentServer(t, 'mtls');
    t.equal(await refusedCode(a.connect({ tls: { ca: ca.certPem } })), 'MTP_TLS_CERT_REQUIRED');
    await waitFor(a.log.lines, (l) => l.includes('MTP-WSS-W01') && l.includes('MTP_TLS_NO_PEER_CERT'), 'server log');
  });
  t.test('a certificate from another CA → refused (server logs MTP_TLS_UNKNOWN_CA)', async (t) => {
    const a = await agentServer(t, 'mtls');
    t.equal(await refusedCode(a.connect({ tls: pems(certs.ctrlRogue) })), 'MTP_CONNECTION_RESET', 'Node drops the client without an alert');
    await waitFor(a.log.lines, (l) => l.includes('MTP-WSS-W01') && l.includes('MTP_TLS_UNKNOWN_CA'), 'server log');
  });
  t.test('an expired certificate → refused (server logs MTP_TLS_CERT_EXPIRED)', async (t) => {
    const a = await agentServer(t, 'mtls');
    t.equal(await refusedCode(a.connect({ tls: pems(certs.ctrlExpired) })), 'MTP_CONNECTION_RESET');
    await waitFor(a.log.lines, (l) => l.includes('MTP-WSS-W01') && l.includes('MTP_TLS_CERT_EXPIRED'), 'server log');
  });
  t.test('a certificate without a URN is refused (403) unless allowUnauthenticated, then eid= is used', async (t) => {
    const strict = await agentServer(t, 'mtls');
    t.equal(await refusedCode(strict.connect({ tls: pems(certs.ctrlNoUrn) })), 'MTP_WS_HANDSHAKE_REFUSED');
    await waitFor(strict.log.lines, (l) => l.includes('MTP_WS_UNAUTHENTICATED'), 'refusal log');
    const lab = await agentServer(t, 'mtls', { allowUnauthenticated: true });
    await lab.connect({ tls: pems(certs.ctrlNoUrn) });
    t.equal((await lab.up()).peerEndpointId, CTRL);
    const c2 = await lab.connect({ tls: pems(certs.ctrlNoUrn), controllerEndpointId: OTHER_CTRL });
    await lab.up(OTHER_CTRL);
    await c2.send(bytes(5));
    const rec = await lab.records.next(WAIT, 'record');
    t.equal(rec.peerEndpointId, undefined, 'an eid= identity is not an authenticated one');
    t.same(rec.replyTo, { kind: 'websocket', endpointId: OTHER_CTRL });
  });
});

t.test('start() rejects with MTP_LISTEN_FAILED when the port is taken', async (t) => {
  const a = await agentServer(t, 'plain');
  const clash = new WebSocketServerMtp({ id: 'clash', port: a.mtp.port, path: '/usp', encryption: false, agentEndpointId: AGENT, keepAliveS: 0 });
  const status = new Inbox<MtpStatus>();
  clash.onStatus((s) => status.push(s));
  await t.rejects(clash.start(), { code: 'MTP_LISTEN_FAILED' });
  t.equal((await status.next(WAIT, 'status')).code, 'MTP_LISTEN_FAILED', 'also reported as an error status');
  await clash.stop();
});
