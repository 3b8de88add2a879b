/**
 * What bench/mtp.ts (the client side) and bench/mtp-peer.ts (the child process it measures)
 * share: identities, topics, the peer spec passed on the child's command line and the IPC
 * messages of the control channel.
 */

export const AGENT_EID = 'proto::bench-agent';
export const CTRL_EID = 'proto::bench-controller';
/** Where the agent subscribes (its MQTT MTP reply topic). */
export const AGENT_TOPIC = 'usp/agent/bench';
/** Where the echo peer subscribes. */
export const ECHO_TOPIC = 'usp/echo/bench';
/** Where the benchmark client subscribes and asks for replies (Response Topic). */
export const CTRL_TOPIC = 'usp/controller/bench';
/** STOMP destinations: the agent's, the echo peer's and the benchmark client's (its reply-to-dest). */
export const AGENT_DEST = '/queue/usp.agent.bench';
export const ECHO_DEST = '/queue/usp.echo.bench';
export const CTRL_DEST = '/queue/usp.controller.bench';
export const WS_PATH = '/usp';
export const USP_CONTENT_TYPE = 'usp.msg';
/** QoS of every PUBLISH and SUBSCRIBE, agent and echo alike (the agent's default PublishQoS). */
export const MQTT_QOS = 1;

/** PEM file paths. */
export interface TlsPaths {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The child's job, given as JSON in argv[2]. */
export type PeerSpec =
  /** The real agent (createAgent) with a WebSocket server MTP and, when mqttPort / stompPort are set, MQTT 5 and STOMP (TLS) MTPs. */
  | {
      readonly mode: 'agent';
      readonly dataDir: string;
      readonly tls: TlsPaths;
      readonly mqttPort?: number;
      readonly stompPort?: number;
      /** Controllers with their MQTT topics (default: CTRL_EID on CTRL_TOPIC); bench/notify-latency.ts lists two. */
      readonly controllers?: readonly { readonly endpointId: string; readonly topic: string }[];
    }
  /** An MQTT 5 client subscribed to ECHO_TOPIC that republishes each payload to its Response Topic. */
  | { readonly mode: 'echo-mqtt'; readonly mqttPort: number; readonly tls: TlsPaths }
  /** A STOMP 1.2 client (TLS, certificate login) subscribed to ECHO_DEST that SENDs each body to its reply-to-dest. */
  | { readonly mode: 'echo-stomp'; readonly stompPort: number; readonly tls: TlsPaths }
  /** A wss server (mutual TLS, v1.usp) that sends every binary message back. */
  | { readonly mode: 'echo-ws'; readonly tls: TlsPaths };

/** Child → parent. */
export type PeerEvent =
  | { readonly t: 'ready'; readonly wsPort?: number }
  /** process.cpuUsage() of the child when it handled the request, µs. */
  | { readonly t: 'cpu'; readonly id: number; readonly user: number; readonly system: number }
  | { readonly t: 'ack'; readonly id: number; readonly error?: string }
  | { readonly t: 'failed'; readonly error: string };

/** Parent → child; every command but 'stop' is answered with the same id. */
export type PeerCommand =
  | { readonly t: 'cpu'; readonly id: number }
  /** Start the V8 sampling profiler (node:inspector, same data as --cpu-prof) for a measured window. */
  | { readonly t: 'prof-start'; readonly id: number }
  /** Stop it and write the .cpuprofile to `file`. */
  | { readonly t: 'prof-stop'; readonly id: number; readonly file: string }
  | { readonly t: 'stop' };
