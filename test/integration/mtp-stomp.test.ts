/**
 * The STOMP MTP (TR-369 §STOMP Binding, USP-NOTES §13.2) against a real RabbitMQ 3.10 with
 * rabbitmq_stomp: mutual TLS with SAN-URI certificate login, the frames on the wire (through a
 * recording TCP proxy on the plain listener), destinations, rejections and reconnects.
 * One private node for the whole file (test/helpers/rabbitmq.ts); it starts in the first test,
 * which is the "broker down at start" case.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Test } from 'tap';
import { createCa, issueCert } from '../../certs/pki.js';
import type { InboundRecord, MtpStatus } from '../../agent/mtp/mtp.js';
import { MtpError } from '../../agent/mtp/mtp.js';
import { StompMtp, USP_CONTENT_TYPE } from '../../agent/mtp/stomp.js';
import type { StompMtpConfig } from '../../agent/mtp/stomp.js';
import { loadTls } from '../../agent/mtp/tls.js';
import type { TlsMaterial } from '../../agent/mtp/tls.js';
import { StompController } from '../helpers/controller-stomp.js';
import { Inbox } from '../helpers/controller-transport.js';
import { SHARED_AGENT_EID, SHARED_CONTROLLER_EIDS, sharedRabbitMq, skipUnlessRabbitMq } from '../helpers/rabbitmq.js';
import type { SharedRabbitMq } from '../helpers/rabbitmq.js';
import { header, parseStompFrames, startTcpProxy } from '../helpers/tcp-proxy.js';
import type { TcpProxy, WireFrame } from '../helpers/tcp-proxy.js';

// Broker start (~12–17 s) and one restart dominate; the default 120 s is too tight on a busy host.
t.setTimeout(300_000);

const RETRY = { minWaitS: 1, multiplierX1000: 2000, maxWaitS: 2 } as const;
const WAIT_MS = 20_000;
/** Longer than a broker start, for waits that span one. */
const BROKER_WAIT_MS = 90_000;
const CONTROLLER_EID = SHARED_CONTROLLER_EIDS[0];

/** Every byte value, NULs included, so a body that stops at the first NUL would show. */
const ALL_BYTES = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256);

const uniq = (what: string): string => `/queue/usp.${what}.${randomBytes(4).toString('hex')}`;

/** Records an MTP's statuses and inbound records; waits are event-driven with a timeout. */
class Watch {
  readonly statuses: MtpStatus[] = [];
  readonly records = new Inbox<InboundRecord>();
  private readonly checks = new Set<() => void>();

  constructor(mtp: StompMtp) {
    mtp.onStatus((s) => {
      this.statuses.push(s);
      for (const c of [...this.checks]) c();
    });
    mtp.onRecord((r) => this.records.push(r));
  }

  count(pred: (s: MtpStatus) => boolean): number {
    return this.statuses.filter(pred).length;
  }

  /** Resolves with the n-th status (counting from `from`) that matches. */
  until(pred: (s: MtpStatus) => boolean, opts: { n?: number; from?: number; timeoutMs?: number; what?: string } = {}): Promise<MtpStatus> {
    const { n = 1, from = 0, timeoutMs = WAIT_MS, what = 'status' } = opts;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hits = this.statuses.slice(from).filter(pred);
        if (hits.length >= n) {
          this.checks.delete(check);
          clearTimeout(timer);
          resolve(hits[n - 1]!);
        }
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms; saw ${JSON.stringify(this.statuses.slice(from))}`));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }

  up(opts: { from?: number; timeoutMs?: number } = {}): Promise<MtpStatus> {
    return this.until((s) => s.state === 'up', { ...opts, what: "'up'" });
  }

  errors(code: string, n: number, opts: { from?: number; timeoutMs?: number } = {}): Promise<MtpStatus> {
    return this.until((s) => s.state === 'error' && s.code === code, { ...opts, n, what: `${n}× error ${code}` });
  }
}

let broker: SharedRabbitMq;

function agentTls(): TlsMaterial {
  return loadTls({ cert: broker.pki.agent.cert, key: broker.pki.agent.key, ca: broker.pki.ca.cert });
}

function tlsFromPem(certPem: string, keyPem: string): TlsMaterial {
  return { cert: Buffer.from(certPem), key: Buffer.from(keyPem), ca: readFileSync(broker.pki.ca.cert), minVersion: 'TLSv1.2' };
}

/** A started agent MTP (stopped in teardown) with its watch. */
function agentMtp(t: Test, over: Partial<StompMtpConfig>): { mtp: StompMtp; watch: Watch } {
  const mtp = new StompMtp({
    id: 'stomp:test',
    host: broker.host,
    port: broker.stompTlsPort,
    virtualHost: '/',
    agentEndpointId: SHARED_AGENT_EID,
    destination: uniq('agent'),
    tls: agentTls(),
    retry: RETRY,
    ...over,
  });
  const watch = new Watch(mtp);
  t.teardown(() => mtp.stop());
  void mtp.start();
  return { mtp, watch };
}

async function controller(t: Test, agentDestination: string, port = broker.stompTlsPort): Promise<StompController> {
  const files = broker.pki.controllers[CONTROLLER_EID]!;
  const c = await StompController.connect({
    host: broker.host,
    port,
    tls: loadTls({ cert: files.cert, key: files.key, ca: broker.pki.ca.cert }),
    destination: uniq('controller'),
    agentDestination,
  });
  t.teardown(() => c.close());
  return c;
}

async function proxyTo(t: Test, port: number, rewriteFirstServerFrame?: (f: string) => string): Promise<TcpProxy> {
  const p = await startTcpProxy({ targetHost: broker.host, targetPort: port, ...(rewriteFirstServerFrame && { rewriteFirstServerFrame }) });
  t.teardown(() => p.close());
  return p;
}

/** Agent config for the plain listener through a proxy, with the password user (R-STOMP.3). */
const plainVia = (p: TcpProxy): Partial<StompMtpConfig> => ({ port: p.port, tls: undefined, username: broker.plain.login, password: broker.plain.passcode });

const framesOf = (p: TcpProxy, conn = 0): WireFrame[] => parseStompFrames(Buffer.concat(p.connections[conn]?.fromClient ?? []));

if (skipUnlessRabbitMq(t)) {
  t.test('broker down at start: send() fails with MTP_NOT_CONNECTED, retries continue, then up once the broker runs (R-STOMP.25)', async (t) => {
    broker = await sharedRabbitMq({ start: false });
    if (broker.running) await broker.stop(); // another test ran first (e.g. --grep)
    const { mtp, watch } = agentMtp(t, {});
    await watch.errors('MTP_CONNECT_REFUSED', 2);
    t.ok(watch.count((s) => s.state === 'connecting') >= 2, 'a new attempt after each failure');
    await t.rejects(mtp.send(Uint8Array.of(1), { kind: 'stomp', destination: '/queue/x' }), { code: 'MTP_NOT_CONNECTED' });
    const from = watch.statuses.length;
    await broker.start();
    t.comment(`RabbitMQ started in ${broker.lastStartMs} ms`);
    const up = await watch.up({ from, timeoutMs: BROKER_WAIT_MS });
    t.match(up, { state: 'up', subscribedTo: /^\/queue\/usp\.agent\./ });
  });

  t.test('mutual TLS with SAN-URI login: up on the configured destination, records both ways with reply-to-dest (R-STOMP.15/18–23)', async (t) => {
    broker = await sharedRabbitMq();
    const destination = uniq('agent');
    const { mtp, watch } = agentMtp(t, { destination });
    t.same(await watch.up(), { state: 'up', subscribedTo: destination }, "'up' names the subscribed destination for the STOMPConnectRecord");
    const ctl = await controller(t, destination);

    await ctl.send(ALL_BYTES);
    const rec = await watch.records.next(WAIT_MS, 'record at the agent');
    t.same(Buffer.from(rec.bytes), Buffer.from(ALL_BYTES), 'binary body with NULs intact');
    t.same(rec.replyTo, { kind: 'stomp', destination: ctl.opts.destination }, 'replyTo from reply-to-dest');
    t.equal(rec.peerEndpointId, undefined, 'brokered: no peer Endpoint ID from TLS');

    const reply = ALL_BYTES.slice().reverse();
    await mtp.send(reply, rec.replyTo!);
    const msg = await ctl.nextMessage(WAIT_MS);
    t.same(Buffer.from(msg.bytes), Buffer.from(reply), 'controller got the bytes');
    t.equal(msg.headers['content-type'], USP_CONTENT_TYPE);
    t.equal(msg.headers['reply-to-dest'], destination, 'reply-to-dest = our subscribed destination');
    t.equal(msg.headers['content-length'], String(reply.length));

    await t.rejects(mtp.send(reply, { kind: 'mqtt', topic: 'x' }), { code: 'MTP_BAD_ADDRESS' });
    await mtp.stop();
    t.same(watch.statuses.at(-1), { state: 'down' });
    await t.rejects(mtp.send(reply, rec.replyTo!), { code: 'MTP_NOT_CONNECTED' });
  });

  t.test(
    'on the wire: STOMP frame (not CONNECT), escaped endpoint-id, SUBSCRIBE ack:auto, SEND headers, DISCONNECT, no ACK/transactions (R-STOMP.2–5,8–13,18–22,26,27)',
    async (t) => {
      broker = await sharedRabbitMq();
      const proxy = await proxyTo(t, broker.stompPort);
      const destination = uniq('agent');
      const { mtp, watch } = agentMtp(t, { ...plainVia(proxy), destination });
      await watch.up();
      const ctl = await controller(t, destination);
      await ctl.send(Uint8Array.of(0, 1, 0, 2));
      const rec = await watch.records.next(WAIT_MS, 'record at the agent');
      await mtp.send(Uint8Array.of(9, 0, 9), rec.replyTo!);
      await ctl.nextMessage(WAIT_MS);
      await mtp.stop();

      const frames = framesOf(proxy);
      const [open, sub] = frames;
      t.equal(open?.command, 'STOMP', 'first frame is STOMP');
      t.notOk(
        frames.some((f) => f.command === 'CONNECT'),
        'no CONNECT frame',
      );
      t.equal(header(open!, 'accept-version'), '1.2');
      t.equal(header(open!, 'host'), '/');
      t.equal(header(open!, 'login'), broker.plain.login);
      t.equal(header(open!, 'passcode'), broker.plain.passcode);
      t.equal(header(open!, 'endpoint-id'), SHARED_AGENT_EID.replace(/:/g, '\\c'), `endpoint-id escaped once: ${header(open!, 'endpoint-id')}`);
      t.equal(header(open!, 'heart-beat'), '0,0');
      t.equal(sub?.command, 'SUBSCRIBE');
      t.equal(header(sub!, 'destination'), destination);
      t.equal(header(sub!, 'ack'), 'auto');
      const send = frames.find((f) => f.command === 'SEND');
      t.ok(send, 'a SEND frame');
      t.equal(header(send!, 'destination'), ctl.opts.destination);
      t.equal(header(send!, 'content-type'), USP_CONTENT_TYPE);
      t.equal(header(send!, 'reply-to-dest'), destination);
      t.equal(header(send!, 'content-length'), '3');
      t.same([...send!.body], [9, 0, 9]);
      t.equal(frames.at(-1)?.command, 'DISCONNECT', 'stop() sends DISCONNECT');
      t.same(
        frames.filter((f) => ['ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT'].includes(f.command)),
        [],
        'never ACK, NACK or transactions',
      );
    },
  );

  t.test('heart-beat header from the configured intervals (R-STOMP.8–11)', async (t) => {
    broker = await sharedRabbitMq();
    const proxy = await proxyTo(t, broker.stompPort);
    const { watch } = agentMtp(t, { ...plainVia(proxy), heartbeat: { outgoingMs: 4000, incomingMs: 6000 } });
    await watch.up();
    t.equal(header(framesOf(proxy)[0]!, 'heart-beat'), '4000,6000');
  });

  t.test('CONNECTED subscribe-dest wins over the configured destination and is reported (R-STOMP.6/14)', async (t) => {
    broker = await sharedRabbitMq();
    const fromServer = uniq('from-server');
    // RabbitMQ never sends subscribe-dest: the proxy adds it to CONNECTED (so: the plain listener).
    const proxy = await proxyTo(t, broker.stompPort, (f) => f.replace(/^CONNECTED\n/, `CONNECTED\nsubscribe-dest:${fromServer}\n`));
    const reported: string[] = [];
    const { watch } = agentMtp(t, {
      ...plainVia(proxy),
      destination: uniq('configured'),
      onDestinationFromServer: (d) => reported.push(d),
    });
    t.same(await watch.up(), { state: 'up', subscribedTo: fromServer });
    t.same(reported, [fromServer], 'DestinationFromServer reported');
    const ctl = await controller(t, fromServer);
    await ctl.send(Uint8Array.of(42));
    t.same([...(await watch.records.next(WAIT_MS, 'record')).bytes], [42], 'records arrive on the server-given destination');
  });

  t.test('no subscribe-dest and no configured destination: DISCONNECT, MTP_STOMP_NO_DESTINATION, retries (R-STOMP.16)', async (t) => {
    broker = await sharedRabbitMq();
    const proxy = await proxyTo(t, broker.stompPort);
    const { watch } = agentMtp(t, { ...plainVia(proxy), destination: '' });
    await watch.errors('MTP_STOMP_NO_DESTINATION', 2);
    t.equal(
      watch.count((s) => s.state === 'up'),
      0,
      'never up',
    );
    t.ok(proxy.connections.length >= 2, 'reconnected');
    t.same(
      framesOf(proxy).map((f) => f.command),
      ['STOMP', 'DISCONNECT'],
      'no SUBSCRIBE; DISCONNECT',
    );
  });

  t.test('TLS and login rejections report clear codes and keep retrying (R-STOMP.25, R-MTP.1)', async (t) => {
    broker = await sharedRabbitMq();
    const caPair = { certPem: readFileSync(broker.pki.ca.cert, 'utf8'), keyPem: readFileSync(broker.pki.ca.key, 'utf8') };
    const rogue = createCa('rogue CA');
    const rogueLeaf = issueCert(rogue, { commonName: SHARED_AGENT_EID, endpointId: SHARED_AGENT_EID, clientAuth: true });
    const day = 86_400_000;
    const expired = issueCert(caPair, {
      commonName: SHARED_AGENT_EID,
      endpointId: SHARED_AGENT_EID,
      clientAuth: true,
      notBefore: new Date(Date.now() - 10 * day),
      notAfter: new Date(Date.now() - day),
    });
    const stranger = issueCert(caPair, { commonName: 'os::012345-NOUSER', endpointId: 'os::012345-NOUSER', clientAuth: true });
    const cases: [string, TlsMaterial, string, Partial<StompMtpConfig>?][] = [
      ['no client certificate', { ...agentTls(), cert: Buffer.alloc(0), key: Buffer.alloc(0) }, 'MTP_TLS_CERT_REQUIRED'],
      ['certificate from another CA', tlsFromPem(rogueLeaf.certPem, rogueLeaf.keyPem), 'MTP_TLS_UNKNOWN_CA'],
      ['expired certificate', tlsFromPem(expired.certPem, expired.keyPem), 'MTP_TLS_CERT_EXPIRED'],
      ['valid certificate, no broker user (ERROR frame)', tlsFromPem(stranger.certPem, stranger.keyPem), 'MTP_STOMP_CONNECT_REJECTED'],
      ['broker certificate from a CA we do not trust', { ...agentTls(), ca: Buffer.from(rogue.certPem) }, 'MTP_TLS_UNKNOWN_CA'],
      ['broker certificate for another host name', agentTls(), 'MTP_TLS_HOSTNAME', { serverName: 'broker.invalid' }],
    ];
    // Concurrently: each case needs two failed attempts, i.e. one back-off of 1–2 s.
    t.jobs = cases.length;
    await Promise.all(
      cases.map(([name, tls, code, over]) =>
        t.test(name, async (t) => {
          const { watch } = agentMtp(t, { tls, ...over });
          const second = await watch.errors(code, 2);
          t.match(second, { state: 'error', code, detail: /\S/ }, `${code} twice: ${second.detail ?? ''}`);
          t.equal(
            watch.count((s) => s.state === 'up'),
            0,
          );
        }),
      ),
    );
  });

  t.test('lost connection: reconnects with back-off, resubscribes and is up again', async (t) => {
    broker = await sharedRabbitMq();
    const proxy = await proxyTo(t, broker.stompPort);
    const destination = uniq('agent');
    const { watch } = agentMtp(t, { ...plainVia(proxy), destination });
    await watch.up();
    const from = watch.statuses.length;
    proxy.dropConnections();
    t.match(await watch.until((s) => s.state === 'error', { from }), { code: /^MTP_/ });
    t.same(await watch.up({ from }), { state: 'up', subscribedTo: destination });
    t.same(
      framesOf(proxy, 1).map((f) => f.command),
      ['STOMP', 'SUBSCRIBE'],
      'a new STOMP frame and SUBSCRIBE on the new connection',
    );
    const ctl = await controller(t, destination);
    await ctl.send(Uint8Array.of(7));
    t.same([...(await watch.records.next(WAIT_MS, 'record')).bytes], [7]);
  });

  t.test('broker restart mid-run: error, reconnect, resubscribe, up again, the next message gets through', async (t) => {
    broker = await sharedRabbitMq();
    const destination = uniq('agent');
    const { mtp, watch } = agentMtp(t, { destination });
    await watch.up();
    const before = await controller(t, destination);
    await before.send(Uint8Array.of(1));
    await watch.records.next(WAIT_MS, 'record before the restart');
    await before.close();

    const from = watch.statuses.length;
    const t0 = Date.now();
    await broker.restart();
    t.comment(`RabbitMQ restarted in ${Date.now() - t0} ms (start ${broker.lastStartMs} ms)`);
    const err = await watch.until((s) => s.state === 'error', { from });
    t.match(err, { code: /^MTP_/ }, `lost: ${err.code ?? ''} ${err.detail ?? ''}`);
    t.same(await watch.up({ from, timeoutMs: BROKER_WAIT_MS }), { state: 'up', subscribedTo: destination });

    const after = await controller(t, destination);
    await after.send(ALL_BYTES);
    const rec = await watch.records.next(WAIT_MS, 'record after the restart');
    t.same(Buffer.from(rec.bytes), Buffer.from(ALL_BYTES));
    await mtp.send(Uint8Array.of(2), rec.replyTo!);
    t.same([...(await after.nextRecord(WAIT_MS))], [2], 'and back to the controller');
  });

  t.test('stop() while retrying ends the retries', async (t) => {
    broker = await sharedRabbitMq();
    const proxy = await proxyTo(t, broker.stompPort);
    await proxy.close(); // nothing listens on its port any more
    const { mtp, watch } = agentMtp(t, { port: proxy.port, tls: undefined, retry: { minWaitS: 1, multiplierX1000: 1000, maxWaitS: 1 } });
    await watch.errors('MTP_CONNECT_REFUSED', 1);
    await mtp.stop();
    const n = watch.statuses.length;
    t.same(watch.statuses.at(-1), { state: 'down' });
    await t.rejects(mtp.send(Uint8Array.of(1), { kind: 'stomp', destination: '/queue/x' }), new MtpError('MTP_NOT_CONNECTED', ''), 'send() after stop()');
    // A negative check needs a bound: the back-off is exactly 1 s here, so 1.5 s would show an attempt.
    const again = await watch
      .until((s) => s.state === 'connecting', { from: n, timeoutMs: 1500, what: 'connecting' })
      .then(
        () => true,
        () => false,
      );
    t.notOk(again, 'no new attempt after stop()');
  });
}
