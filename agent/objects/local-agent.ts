/** Device.LocalAgent. identity (TR-181 LocalAgent:1); the tables are stored rows. */
import type { Registry } from '../../datamodel/registry.js';
import { WS_BIND_PARAM } from '../transport/provision.js';

export interface LocalAgentInfo {
  readonly endpointId: string;
  readonly softwareVersion: string;
  /** MTPs this build can run (Device.LocalAgent.SupportedProtocols). */
  readonly supportedMtps: readonly string[];
  readonly startedAt: number;
}

export function registerLocalAgent(dm: Registry, info: LocalAgentInfo): void {
  dm.param('Device.LocalAgent.EndpointID', { get: () => info.endpointId });
  dm.param('Device.LocalAgent.SoftwareVersion', { get: () => info.softwareVersion });
  dm.param('Device.LocalAgent.UpTime', { get: () => String(Math.floor((Date.now() - info.startedAt) / 1000)) });
  dm.param('Device.LocalAgent.SupportedProtocols', { get: () => info.supportedMtps.join(',') });
  dm.param('Device.LocalAgent.SupportedFingerprintAlgorithms', { get: () => 'SHA-1,SHA-224,SHA-256,SHA-384,SHA-512' });
  // TR-181 names listen interfaces only as IP.Interface references; the bind address is ours.
  dm.param(`Device.LocalAgent.MTP.{i}.WebSocket.${WS_BIND_PARAM}`, { type: 'string', access: 'readWrite', default: '127.0.0.1', size: { maxLength: 45 } });
}
