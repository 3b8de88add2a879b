/**
 * The controller side of the MQTT binding for tests (TR-369 §MQTT Binding, MQTTController
 * profile): mqtt.js with the controller's own certificate, subscribed to its topic, publishing
 * Records to the agent with the v5 Response Topic + Content Type, or the v3.1.1
 * `/reply-to=` topic suffix. Written independently of agent/mtp/mqtt*.ts so it checks them.
 */
import { readFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { Inbox } from './controller-transport.js';
import type { ControllerTransport } from './controller-transport.js';

export type { ControllerTransport } from './controller-transport.js';

export interface MqttControllerOptions {
  readonly host: string;
  readonly port: number;
  readonly protocolVersion: 4 | 5;
  /** Controller certificate, key and the CA (file paths); omit for a plain-TCP listener. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  /** The topic this controller subscribes to and gives as its reply topic. */
  readonly topic: string;
  /** Where send(bytes) publishes: the agent's topic. */
  readonly agentTopic: string;
  readonly clientId?: string;
  readonly qos?: 0 | 1;
}

/** One PUBLISH the controller received, with the MQTT details the binding puts on it. */
export interface ReceivedMqttRecord {
  readonly bytes: Uint8Array;
  readonly topic: string;
  /** v5 Content Type property. */
  readonly contentType?: string;
  /** Where the agent wants replies: v5 Response Topic, or the decoded v3.1.1 `/reply-to=` suffix. */
  readonly replyTo?: string;
}

export interface MqttSendOptions {
  /** Destination topic (default: the agentTopic option). */
  readonly topic?: string;
  /** v5 Content Type (default `usp.msg`); null sends none. */
  readonly contentType?: string | null;
  /** Reply topic to advertise (default: our topic); null sends none. */
  readonly replyTo?: string | null;
}

export class MqttController implements ControllerTransport {
  private readonly inbox = new Inbox<ReceivedMqttRecord>();
  private closed = false;

  private constructor(
    private readonly client: MqttClient,
    private readonly opts: MqttControllerOptions,
  ) {
    client.on('message', (topic, payload, packet) => {
      const v5 = opts.protocolVersion === 5;
      const suffix = /\/reply-to=([^/]*)$/.exec(topic);
      const replyTo = v5 ? packet.properties?.responseTopic : suffix?.[1]?.replace(/%2F/gi, '/');
      this.inbox.push({
        bytes: new Uint8Array(payload),
        topic,
        ...(packet.properties?.contentType !== undefined && { contentType: packet.properties.contentType }),
        ...(replyTo !== undefined && { replyTo }),
      });
    });
    // Errors after connecting (the broker going away) must not crash the test process.
    client.on('error', () => undefined);
  }

  /** Connects, subscribes to `topic` (v3.1.1: `topic/#`, to match the reply-to suffix) and waits for the SUBACK. */
  static async connect(opts: MqttControllerOptions): Promise<MqttController> {
    const o: IClientOptions = {
      host: opts.host,
      port: opts.port,
      protocol: opts.tls ? 'mqtts' : 'mqtt',
      protocolVersion: opts.protocolVersion,
      clientId: opts.clientId ?? `controller-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(opts.tls && {
        cert: readFileSync(opts.tls.cert),
        key: readFileSync(opts.tls.key),
        ca: readFileSync(opts.tls.ca),
        rejectUnauthorized: true,
      }),
    };
    const client = await connectAsync(o);
    const c = new MqttController(client, opts);
    const filter = opts.protocolVersion === 5 ? opts.topic : `${opts.topic}/#`;
    const granted = await client.subscribeAsync(filter, { qos: opts.qos ?? 1 });
    if (granted.some((g) => g.qos >= 0x80)) throw new Error(`the broker refused the controller's subscription to ${filter}`);
    return c;
  }

  get topic(): string {
    return this.opts.topic;
  }

  send(bytes: Uint8Array): Promise<void> {
    return this.publish(bytes);
  }

  /** Publishes a Record to the agent with the binding's reply address (R-MQTT.23/24, R-MQTT.27). */
  async publish(bytes: Uint8Array, o: MqttSendOptions = {}): Promise<void> {
    const dest = o.topic ?? this.opts.agentTopic;
    const replyTo = o.replyTo === undefined ? this.opts.topic : o.replyTo;
    const qos = this.opts.qos ?? 1;
    const payload = Buffer.from(bytes);
    if (this.opts.protocolVersion === 5) {
      const contentType = o.contentType === undefined ? 'usp.msg' : o.contentType;
      const properties = { ...(replyTo !== null && { responseTopic: replyTo }), ...(contentType !== null && { contentType }) };
      await this.client.publishAsync(dest, payload, { qos, properties });
    } else {
      const topic = replyTo === null ? dest : `${dest}/reply-to=${replyTo.split('/').join('%2F')}`;
      await this.client.publishAsync(topic, payload, { qos });
    }
  }

  async nextRecord(timeoutMs = 5000): Promise<Uint8Array> {
    return (await this.nextMessage(timeoutMs)).bytes;
  }

  /** The next PUBLISH from the agent with its topic and properties. */
  nextMessage(timeoutMs = 5000): Promise<ReceivedMqttRecord> {
    return this.inbox.next(timeoutMs, `MQTT message on ${this.opts.topic}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.endAsync(!this.client.connected);
  }
}

/** Shorthand for MqttController.connect. */
export function connectMqttController(opts: MqttControllerOptions): Promise<MqttController> {
  return MqttController.connect(opts);
}
