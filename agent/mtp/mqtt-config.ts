/**
 * Configuration of the MQTT MTP (DM Device.MQTT.Client.{i}, Device.LocalAgent.MTP.{i}.MQTT)
 * and its mapping onto mqtt.js options and MtpError codes (agent/mtp/README.md).
 */
import type { IClientOptions } from 'mqtt';
import type { Logger } from '../log.js';
import type { BackoffParams } from './retry.js';
import { describeTlsError } from './tls.js';
import type { TlsMaterial } from './tls.js';

export interface MqttMtpConfig {
  /** Stable id for logs, e.g. `mqtt:Device.LocalAgent.MTP.1.`. */
  readonly id: string;
  /** `mqtt://host:port` or `mqtts://host:port` (MQTT.Client.{i}.BrokerAddress/BrokerPort/TransportProtocol). */
  readonly url: string;
  /** 5 = MQTT 5.0 (mandatory, R-MQTT.1), 4 = MQTT 3.1.1 (R-MQTT.2). */
  readonly protocolVersion: 4 | 5;
  /** MQTT.Client.{i}.ClientID; '' = let the v5 broker assign one (R-MQTT.8/9), or use agentEndpointId on v3.1.1. */
  readonly clientId: string;
  /** MQTT.Client.{i}.Username/Password (R-MQTT.7). */
  readonly username?: string;
  readonly password?: string;
  /** MQTT.Client.{i}.KeepAliveTime (R-MQTT.14). */
  readonly keepAliveS: number;
  /** MQTT.Client.{i}.CleanStart (v5) / CleanSession (v3.1.1). */
  readonly cleanStart: boolean;
  /** Device.LocalAgent.EndpointID, sent as the `usp-endpoint-id` user property (R-MQTT.13). */
  readonly agentEndpointId: string;
  /** LocalAgent.MTP.{i}.MQTT.ResponseTopicConfigured: our reply topic when the broker sends no Response Information. */
  readonly responseTopicConfigured: string;
  /** Enabled MQTT.Client.{i}.Subscription.{i} rows (Topic, QoS). */
  readonly subscriptions: readonly { readonly topic: string; readonly qos: 0 | 1 | 2 }[];
  /** LocalAgent.MTP.{i}.MQTT.PublishQoS (R-MQTT.20); also the QoS of the subscriptions the agent derives. */
  readonly publishQos: 0 | 1 | 2;
  /** Required for mqtts://. */
  readonly tls?: TlsMaterial;
  /** TLS server name (SNI and certificate check) when it differs from the URL host. */
  readonly serverName?: string;
  /** ConnectRetryTime, ConnectRetryIntervalMultiplier, ConnectRetryMaxInterval (R-MQTT.10/33). */
  readonly retry: BackoffParams;
  /** Called with the broker-assigned client id, to be stored in MQTT.Client.{i}.ClientID (R-MQTT.9). */
  readonly onClientIdAssigned?: (id: string) => void;
  /** CONNACK timeout in ms (default 30 000). */
  readonly connectTimeoutMs?: number;
  readonly log?: Logger;
}

/** mqtt.js options for one CONNECT (TR-369 R-MQTT.7/8/12/13/14); reconnects are ours (R-MQTT.10). */
export function clientOptions(c: MqttMtpConfig, clientId: string): IClientOptions {
  const v5 = c.protocolVersion === 5;
  return {
    protocolVersion: c.protocolVersion,
    clientId,
    clean: c.cleanStart,
    keepalive: c.keepAliveS,
    reconnectPeriod: 0,
    connectTimeout: c.connectTimeoutMs ?? 30_000,
    resubscribe: false,
    ...(c.username !== undefined && c.username !== '' && { username: c.username }),
    ...(c.password !== undefined && c.password !== '' && { password: c.password }),
    // R-MQTT.12/13: ask for Response Information; tell the broker who we are.
    ...(v5 && { properties: { requestResponseInformation: true, userProperties: { 'usp-endpoint-id': c.agentEndpointId } } }),
  };
}

/** Maps an mqtt.js / socket / TLS error to a stable MtpError code (agent/mtp/README.md). */
export function describeMqttError(e: Error): { code: string; detail: string } {
  const rc = (e as Error & { code?: unknown }).code;
  if (typeof rc === 'number') {
    // CONNACK refused: v3.1.1 return codes 1–5 and v5 reason codes ≥ 0x80.
    const auth = rc === 4 || rc === 5 || rc === 0x86 || rc === 0x87;
    return { code: auth ? 'MTP_MQTT_NOT_AUTHORIZED' : 'MTP_MQTT_CONNACK_REFUSED', detail: `${e.message} (code ${rc})` };
  }
  if (e.message === 'connack timeout') return { code: 'MTP_CONNECT_TIMEOUT', detail: 'no CONNACK in time' };
  if (e.message === 'Keepalive timeout') return { code: 'MTP_CONNECTION_LOST', detail: 'keep-alive timeout (no PINGRESP)' };
  return describeTlsError(e);
}
