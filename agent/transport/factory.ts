/** Turns a desired MTP (read from the data model) into a running MTP implementation. */
import type { Mtp } from '../mtp/mtp.js';
import type { TlsMaterial } from '../mtp/tls.js';
import { WebSocketClientMtp } from '../mtp/websocket-client.js';
import { WebSocketServerMtp } from '../mtp/websocket-server.js';
import type { Logger } from '../log.js';
import type { DesiredMtp } from './desired.js';
import { LazyMtp } from './lazy-mtp.js';
import type { MtpFactory } from './manager.js';

export function mtpFactory(agentEndpointId: string, tls: TlsMaterial | undefined, currentClientId: (clientRow: string) => string, log: Logger): MtpFactory {
  const need = (encrypted: boolean, what: string): TlsMaterial | undefined => {
    if (!encrypted) return undefined;
    if (!tls) throw new Error(`${what} needs TLS but no certificate is configured (tls.cert / tls.key / tls.ca)`);
    return tls;
  };
  return (d: DesiredMtp, hooks): Mtp => {
    switch (d.kind) {
      case 'ws-server':
        return new WebSocketServerMtp({
          id: `ws-server:${d.row}`,
          host: d.host,
          port: d.port,
          path: d.path,
          encryption: d.encryption,
          agentEndpointId,
          keepAliveS: d.keepAliveS,
          ...withTls(need(d.encryption, d.row)),
        });
      case 'ws-client':
        return new WebSocketClientMtp({
          id: `ws-client:${d.row}`,
          controllerEndpointId: d.controllerEndpointId,
          host: d.host,
          port: d.port,
          path: d.path,
          encryption: d.encryption,
          agentEndpointId,
          keepAliveS: d.keepAliveS,
          retry: d.retry,
          ...withTls(need(d.encryption, d.row)),
        });
      case 'mqtt': {
        // MQTT and STOMP client libraries load only when such an MTP starts (lazy-mtp.ts).
        const tlsOpts = withTls(need(d.url.startsWith('mqtts:'), d.row));
        const clientId = currentClientId(d.client);
        return new LazyMtp(`mqtt:${d.row}`, 'MQTT', async () => {
          const { MqttMtp } = await import('../mtp/mqtt.js');
          return new MqttMtp({
            id: `mqtt:${d.row}`,
            url: d.url,
            protocolVersion: d.protocolVersion,
            clientId,
            ...(d.username && { username: d.username }),
            ...(d.password && { password: d.password }),
            keepAliveS: d.keepAliveS,
            cleanStart: d.cleanStart,
            agentEndpointId,
            responseTopicConfigured: d.responseTopicConfigured,
            subscriptions: d.subscriptions,
            publishQos: d.publishQos,
            retry: d.retry,
            onClientIdAssigned: hooks.onMqttClientId,
            log,
            ...tlsOpts,
          });
        });
      }
      case 'stomp': {
        const tlsOpts = withTls(need(d.encryption, d.row));
        return new LazyMtp(`stomp:${d.row}`, 'STOMP', async () => {
          const { StompMtp } = await import('../mtp/stomp.js');
          return new StompMtp({
            id: `stomp:${d.row}`,
            host: d.host,
            port: d.port,
            virtualHost: d.virtualHost,
            ...(d.username && { username: d.username }),
            ...(d.password && { password: d.password }),
            agentEndpointId,
            destination: d.destination,
            ...(d.heartbeat && { heartbeat: d.heartbeat }),
            retry: d.retry,
            onDestinationFromServer: hooks.onStompDestination,
            ...tlsOpts,
          });
        });
      }
    }
  };
}

function withTls(tls: TlsMaterial | undefined): { tls?: TlsMaterial } {
  return tls ? { tls } : {};
}
