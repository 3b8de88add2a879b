/**
 * The MQTT MTP (TR-369 §MQTT Binding, R-MQTT.*; DM Device.MQTT.Client.{i} and
 * Device.LocalAgent.MTP.{i}.MQTT). MQTT 5 and 3.1.1 over TCP or TLS, one broker connection.
 * It moves bytes only (STYLE §2.3): the record layer builds the MQTTConnectRecord from the
 * `subscribedTo` of the 'up' status, which is reported again after every reconnect.
 *
 * Each connection attempt gets a fresh mqtt.js client with `reconnectPeriod: 0`; this class
 * drives reconnects with the TR-369 back-off (R-MQTT.10/33) so the timing windows hold.
 */
import { MqttClient } from 'mqtt';
import type { IConnackPacket, IPublishPacket, ISubscriptionMap } from 'mqtt';
import { clientOptions, describeMqttError } from './mqtt-config.js';
import type { MqttMtpConfig } from './mqtt-config.js';
import { MtpError } from './mtp.js';
import type { InboundRecord, Mtp, MtpAddress, MtpStatus } from './mtp.js';
import { openBrokerSocket, parseBrokerUrl } from './mqtt-socket.js';
import type { BrokerAddress } from './mqtt-socket.js';
import { isPublishableTopic, planSubscriptions, replyToFromTopic, subscribeTopicsOf, USP_CONTENT_TYPE, USP_CONTENT_TYPES, withReplyTo } from './mqtt-topics.js';
import type { TopicSubscription } from './mqtt-topics.js';
import { Backoff } from './retry.js';
import { describeTlsError } from './tls.js';

export { describeMqttError } from './mqtt-config.js';
export type { MqttMtpConfig } from './mqtt-config.js';

/** How long stop() waits for the DISCONNECT to be written before closing the socket. */
const STOP_GRACE_MS = 2000;

interface Attempt {
  readonly client: MqttClient;
  /** First socket/TLS/protocol error of this attempt. */
  readonly seen: { firstError?: Error };
  /** Reason code of a DISCONNECT the broker sent (v5). */
  disconnectReason: number | undefined;
  replyTopic: string;
  up: boolean;
  dead: boolean;
  readonly pending: Set<(e: Error) => void>;
}

/** TR-369 MQTT MTP over mqtt.js; see the module comment and agent/mtp/README.md for error codes. */
export class MqttMtp implements Mtp {
  readonly id: string;
  readonly protocol = 'MQTT' as const;
  private readonly address: BrokerAddress;
  private readonly backoff: Backoff;
  private clientId: string;
  private attempt: Attempt | undefined;
  private running = false;
  private status: MtpStatus = { state: 'down' };
  private readonly recordHandlers: ((rec: InboundRecord) => void)[] = [];
  private readonly statusHandlers: ((status: MtpStatus) => void)[] = [];

  /** Throws for a malformed URL or mqtts:// without TLS material (configuration errors). */
  constructor(private readonly config: MqttMtpConfig) {
    this.id = config.id;
    try {
      this.address = parseBrokerUrl(config.url);
    } catch (e) {
      throw new MtpError('MTP_CONFIG', `${config.id}: ${(e as Error).message}`, { cause: e });
    }
    if (this.address.secure && !config.tls) throw new MtpError('MTP_CONFIG', `${config.url} needs TLS material`);
    this.backoff = new Backoff(config.retry);
    // R-MQTT.8: empty ClientID → v5 lets the broker assign one; v3.1.1 uses our Endpoint ID.
    this.clientId = config.clientId !== '' || config.protocolVersion === 5 ? config.clientId : config.agentEndpointId;
  }

  /** Failed connection attempts since the last success (the back-off's retry count). */
  get retryAttempts(): number {
    return this.backoff.attempts;
  }

  /** The latest status reported through onStatus. */
  get currentStatus(): MtpStatus {
    return this.status;
  }

  /** The client id used for the next CONNECT: configured, assigned by the broker, or our Endpoint ID. */
  get currentClientId(): string {
    return this.clientId;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.backoff.reset();
    this.connect();
    return Promise.resolve();
  }

  async send(bytes: Uint8Array, to: MtpAddress): Promise<void> {
    if (to.kind !== 'mqtt') throw new MtpError('MTP_BAD_ADDRESS', `${this.id}: cannot send to a ${to.kind} address`);
    if (!isPublishableTopic(to.topic)) throw new MtpError('MTP_BAD_ADDRESS', `${this.id}: cannot publish to topic '${to.topic}'`);
    const a = this.attempt;
    // R-MQTT.17: never publish before a successful SUBACK.
    if (!a || !a.up || a.dead) throw new MtpError('MTP_NOT_CONNECTED', `${this.id}: not connected to the broker`);
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v5 = this.config.protocolVersion === 5;
    // R-MQTT.22/23/24/27: every Record carries our reply topic; v5 also the content type.
    const topic = v5 ? to.topic : withReplyTo(to.topic, a.replyTopic);
    const opts = v5
      ? { qos: this.config.publishQos, properties: { responseTopic: a.replyTopic, contentType: USP_CONTENT_TYPE } }
      : { qos: this.config.publishQos };
    await new Promise<void>((resolve, reject) => {
      const abort = (e: Error): void => reject(e);
      a.pending.add(abort);
      a.client.publish(topic, payload, opts, (err) => {
        a.pending.delete(abort);
        if (err) reject(new MtpError('MTP_SEND_FAILED', `${this.id}: publish to ${topic} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.backoff.cancel();
    const a = this.attempt;
    this.attempt = undefined;
    if (a) await this.closeAttempt(a, a.up || a.client.connected);
    this.setStatus({ state: 'down', detail: 'stopped' });
  }

  onRecord(handler: (rec: InboundRecord) => void): void {
    this.recordHandlers.push(handler);
  }

  onStatus(handler: (status: MtpStatus) => void): void {
    this.statusHandlers.push(handler);
  }

  private connect(): void {
    if (!this.running) return;
    const c = this.config;
    const options = clientOptions(c, this.clientId);
    const seen: { firstError?: Error } = {};
    const noteError = (e: Error): void => {
      seen.firstError ??= e;
    };
    let client: MqttClient;
    try {
      client = new MqttClient(() => openBrokerSocket({ address: this.address, tls: c.tls, serverName: c.serverName, onError: noteError }), options);
    } catch (e) {
      this.retry(describeTlsError(e), 'cannot create the MQTT client');
      return;
    }
    const a: Attempt = { client, seen, disconnectReason: undefined, replyTopic: '', up: false, dead: false, pending: new Set() };
    this.attempt = a;
    this.setStatus({ state: 'connecting', detail: `connecting to ${c.url} (client id '${this.clientId}')` });

    client.on('connect', (connack) => this.guard('connack', () => this.onConnack(a, connack)));
    client.on('message', (topic, payload, packet) => this.guard('message', () => this.onMessage(a, topic, payload, packet)));
    client.on('disconnect', (packet) => {
      a.disconnectReason = packet.reasonCode;
    });
    client.on('error', (e) => {
      noteError(e);
      // Before CONNACK an error ends the attempt; once connected, 'close' follows a fatal one.
      if (!client.connected) this.guard('error', () => this.lost(a));
    });
    client.on('close', () => this.guard('close', () => this.lost(a)));
  }

  /** CONNACK accepted: store an assigned client id, then SUBSCRIBE (R-MQTT.15). */
  private async onConnack(a: Attempt, connack: IConnackPacket): Promise<void> {
    if (a.dead) return;
    const c = this.config;
    const props = connack.properties;
    const assigned = props?.assignedClientIdentifier;
    if (c.protocolVersion === 5 && this.clientId === '' && assigned) {
      // R-MQTT.9/11: keep and reuse the assigned id from now on.
      this.clientId = assigned;
      this.guard('onClientIdAssigned', () => c.onClientIdAssigned?.(assigned));
    }
    const plan = planSubscriptions({
      protocolVersion: c.protocolVersion,
      configured: c.subscriptions,
      subscribeTopics: c.protocolVersion === 5 ? subscribeTopicsOf(props?.userProperties) : [],
      responseInformation: c.protocolVersion === 5 ? props?.responseInformation : undefined,
      responseTopicConfigured: c.responseTopicConfigured,
      qos: c.publishQos,
    });
    if (plan.subscriptions.length === 0) {
      // R-MQTT.16: nothing to subscribe to → DISCONNECT and treat the MTP as disabled.
      await this.giveUp(a, 'MTP_MQTT_NOTHING_TO_SUBSCRIBE', 'no Subscription rows, no subscribe-topic from the broker and no reply topic');
      return;
    }
    if (!isPublishableTopic(plan.replyTopic)) {
      // R-MQTT.21/22: without a usable reply topic no Record can be sent, nor the MQTTConnectRecord.
      await this.giveUp(
        a,
        'MTP_MQTT_NO_REPLY_TOPIC',
        `no usable reply topic (Response Information absent, ResponseTopicConfigured '${c.responseTopicConfigured}')`,
      );
      return;
    }
    a.replyTopic = plan.replyTopic;
    const failed = await this.subscribe(a, plan.subscriptions);
    if (a.dead) return;
    if (failed) {
      // R-MQTT.17: without a successful SUBACK never publish; DISCONNECT and retry later.
      await this.closeAttempt(a, true);
      if (this.attempt === a) this.retry({ code: 'MTP_MQTT_SUBSCRIBE_FAILED', detail: failed }, 'subscribe failed');
      return;
    }
    a.up = true;
    this.backoff.reset();
    const detail = `connected to ${c.url} as '${this.clientId}', subscribed to ${plan.subscriptions.map((x) => x.topic).join(', ')}`;
    this.config.log?.info('MQTT-I01', `${this.id}: ${detail}`);
    this.setStatus({ state: 'up', subscribedTo: plan.replyTopic, detail });
  }

  /** SUBSCRIBEs and returns a description of the failure, or undefined when every topic was granted. */
  private subscribe(a: Attempt, subs: readonly TopicSubscription[]): Promise<string | undefined> {
    const map: ISubscriptionMap = {};
    for (const s of subs) map[s.topic] = { qos: s.qos };
    return new Promise((resolve) => {
      a.client.subscribe(map, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos >= 0x80).map((g) => `${g.topic} (reason 0x${g.qos.toString(16)})`);
        if (refused.length > 0) resolve(`the broker refused ${refused.join(', ')}`);
        else if (err) resolve(`SUBSCRIBE failed: ${err.message}`);
        else resolve(undefined);
      });
    });
  }

  /** Inbound PUBLISH → onRecord, with the reply address (R-MQTT.25/26) and content type check (R-MQTT.27a). */
  private onMessage(a: Attempt, topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (a.dead) return;
    let replyTo: string | undefined;
    if (this.config.protocolVersion === 5) {
      const ct = packet.properties?.contentType;
      if (ct !== undefined && !USP_CONTENT_TYPES.includes(ct)) {
        this.config.log?.warn('MQTT-W01', `${this.id}: dropped a PUBLISH on ${topic} with content type '${ct}'`);
        return;
      }
      replyTo = packet.properties?.responseTopic;
    } else {
      replyTo = replyToFromTopic(topic);
    }
    const rec: InboundRecord = {
      bytes: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
      replyTo: replyTo !== undefined && isPublishableTopic(replyTo) ? { kind: 'mqtt', topic: replyTo } : undefined,
    };
    for (const h of this.recordHandlers) this.guard('onRecord handler', () => h(rec));
  }

  /** The connection of attempt `a` failed or closed: report why and schedule the next attempt. */
  private lost(a: Attempt): void {
    if (a.dead || this.attempt !== a) return;
    const wasUp = a.up;
    void this.closeAttempt(a, false);
    let why: { code: string; detail: string };
    if (a.seen.firstError) why = describeMqttError(a.seen.firstError);
    else if (a.disconnectReason !== undefined)
      why = { code: 'MTP_MQTT_DISCONNECTED', detail: `the broker sent DISCONNECT (reason 0x${a.disconnectReason.toString(16)})` };
    else why = { code: 'MTP_CONNECTION_LOST', detail: wasUp ? 'the broker closed the connection' : 'the connection closed before CONNACK' };
    this.retry(why, wasUp ? 'connection lost' : 'connect failed');
  }

  private retry(why: { code: string; detail: string }, what: string): void {
    if (!this.running) return;
    const ms = this.backoff.schedule(() => this.connect());
    const detail = `${what}: ${why.detail}; retry #${this.backoff.attempts} in ${ms} ms`;
    this.config.log?.warn('MQTT-W02', `${this.id}: ${detail}`);
    this.setStatus({ state: 'error', code: why.code, detail });
  }

  /** R-MQTT.16-style configuration failure: DISCONNECT, report, and do not retry until restarted. */
  private async giveUp(a: Attempt, code: string, detail: string): Promise<void> {
    await this.closeAttempt(a, true);
    if (!this.running || this.attempt !== a) return;
    this.running = false;
    this.backoff.cancel();
    this.config.log?.error('MQTT-E01', `${this.id}: ${detail}; MTP disabled`);
    this.setStatus({ state: 'error', code, detail: `${detail}; MTP disabled` });
  }

  /** Ends an attempt: fails pending sends, sends DISCONNECT when `graceful` (R-MQTT.35), closes the socket. */
  private closeAttempt(a: Attempt, graceful: boolean): Promise<void> {
    a.dead = true;
    a.up = false;
    for (const reject of a.pending) reject(new MtpError('MTP_NOT_CONNECTED', `${this.id}: connection closed before the publish completed`));
    a.pending.clear();
    a.client.removeAllListeners('message');
    // Keep errors from the dying client away from the default 'error' (throwing) behaviour.
    a.client.on('error', () => undefined);
    return new Promise<void>((resolve) => {
      if (!graceful) {
        a.client.end(true, () => resolve());
        return;
      }
      const timer = setTimeout(() => {
        a.client.stream?.destroy();
        resolve();
      }, STOP_GRACE_MS);
      timer.unref();
      a.client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private setStatus(s: MtpStatus): void {
    this.status = s;
    for (const h of this.statusHandlers) this.guard('onStatus handler', () => h(s));
  }

  /** Runs an event handler body; nothing thrown (or rejected) escapes into mqtt.js or Node. */
  private guard(where: string, fn: () => unknown): void {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((e: unknown) => this.config.log?.error('MQTT-E02', `${this.id}: ${where} failed`, e));
    } catch (e) {
      this.config.log?.error('MQTT-E02', `${this.id}: ${where} failed`, e);
    }
  }
}
