/**
 * The agent's TLS identity: its certificate, key and trust store from the config. With the
 * embedded defaults a lab PKI (CA, agent, controller and server certificates) is made on first
 * run, so `npm start` comes up with mutual TLS and a controller certificate to use.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import { loadTls } from '../mtp/tls.js';
import type { TlsMaterial } from '../mtp/tls.js';

export async function prepareTls(config: AgentConfig, log: Logger): Promise<TlsMaterial | undefined> {
  const { cert, key, ca, createLabPki: make } = config.tls;
  const present = [cert, key, ca].every((f) => existsSync(f));
  if (!present && make) {
    const dir = dirname(cert);
    // node-forge (~12 MB of memory) loads only when a PKI is made, not at every start.
    const { createLabPki } = await import('../../certs/pki.js');
    const pki = createLabPki({ dir, agentEndpointId: config.endpointId, controllerEndpointIds: config.controllers.map((c) => c.endpointId) });
    log.info(
      'TLS-I01',
      `lab PKI in ${pki.dir}: CA ${pki.ca.cert}, agent ${pki.agent.cert}, controllers ${
        Object.values(pki.controllers)
          .map((c) => c.cert)
          .join(', ') || '-'
      }`,
    );
  } else if (!present) {
    const needed = config.mtps.some((m) => m.encryption) || config.controllers.some((c) => c.mtps.some((m) => m.protocol === 'WebSocket' && m.encryption));
    if (needed) throw new Error(`TLS files missing (tls.cert ${cert}, tls.key ${key}, tls.ca ${ca}); give existing files or run 'usp-agent certs init'`);
    return undefined;
  }
  return loadTls({ cert, key, ca });
}
