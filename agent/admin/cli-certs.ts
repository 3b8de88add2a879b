/**
 * `usp-agent certs init` makes (or keeps) the lab PKI; `usp-agent certs show FILE` describes a
 * certificate, including the Endpoint IDs in its SAN (TR-369 R-SEC.0a). Bad input throws an
 * error with a one-line message, which runCli prints before exiting non-zero.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import type { LabPkiFiles } from '../../certs/pki.js';
// Reading certificates needs only node:crypto; node-forge (~12 MB) loads for `certs init` alone.
import { CertError, describeCert } from '../../certs/x509.js';
import type { CertDescription } from '../../certs/x509.js';
import type { AgentConfig } from '../config.js';

const DEFAULT_CONTROLLER = 'proto::controller-1';

/** How the CLI turns --config/--data-dir (plus its environment) into the agent config. */
export type ConfigLoader = (o: { config?: string; dataDir?: string }) => AgentConfig;

interface InitOpts {
  config?: string;
  dataDir?: string;
  dir?: string;
  endpointId?: string;
  controller?: string[];
}

async function init(o: InitOpts, configOf: ConfigLoader): Promise<void> {
  const { createLabPki } = await import('../../certs/pki.js');
  const config = o.dir === undefined || o.endpointId === undefined ? configOf(o) : undefined;
  const dir = o.dir ?? join(config?.dataDir ?? '.', 'pki');
  const agentEndpointId = o.endpointId ?? config?.endpointId ?? '';
  const controllerEndpointIds = o.controller?.length ? o.controller : [DEFAULT_CONTROLLER];
  const pki = createLabPki({ dir, agentEndpointId, controllerEndpointIds });
  const created = new Set(pki.created ?? []);
  const rows: [LabPkiFiles, string][] = [
    [pki.ca, 'lab CA (trust ca.crt in brokers and controllers)'],
    [pki.agent, `agent ${agentEndpointId}`],
    [pki.server, 'server (brokers, WebSocket servers)'],
    ...Object.entries(pki.controllers).map(([eid, f]): [LabPkiFiles, string] => [f, `controller ${eid}`]),
  ];
  const names = rows.map(([f]) => `${basename(f.cert)}, ${basename(f.key)}`);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = [`PKI folder ${pki.dir}`];
  rows.forEach(([f, what], i) => {
    const state = created.has(f.cert) || created.has(f.key) ? 'made' : 'kept';
    lines.push(`  ${state}  ${(names[i] ?? '').padEnd(width)}${what}`);
  });
  lines.push(created.size ? `  see ${join(pki.dir, 'README.txt')}` : '  all files already existed and are valid for these IDs; nothing changed');
  process.stdout.write(lines.join('\n') + '\n');
}

function show(file: string): void {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CertError(`cannot read ${file}: ${((e as Error).message ?? '').split(',')[0]}`);
  }
  let d: CertDescription;
  try {
    d = describeCert(pem);
  } catch (e) {
    throw new CertError(`${file}: ${(e as Error).message}`);
  }
  const rows: [string, string][] = [
    ['subject', d.subject],
    ['issuer', d.issuer],
    ['serial', d.serialNumber],
    ['not before', d.notBefore.toISOString()],
    ['not after', d.notAfter.toISOString() + (d.expired ? '  (EXPIRED)' : '')],
    ['endpoint IDs', d.endpointIds.length ? d.endpointIds.join(', ') : '(none)'],
    ['SHA-256', d.fingerprint256],
  ];
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join('\n') + '\n');
}

/** Adds the `certs` command group (init, show) to the usp-agent program. */
export function addCertsCommands(program: Command, configOf: ConfigLoader): void {
  const certs = program.command('certs').description('lab PKI: CA, agent, broker/server and controller certificates (see certs/README.md)');
  certs
    .command('init')
    .description('create the lab PKI, or keep the files that are still valid for these IDs')
    .option('-c, --config <file>', 'agent config file (for the data folder and Endpoint ID)')
    .option('-d, --data-dir <dir>', 'data folder of the agent (default ./data)')
    .option('--dir <dir>', 'PKI folder (default <data folder>/pki)')
    .option('--endpoint-id <eid>', "the agent's Endpoint ID (default: from the config)")
    .option('--controller <eid...>', `controller Endpoint IDs (default ${DEFAULT_CONTROLLER})`)
    .action((o: InitOpts) => init(o, configOf));
  certs
    .command('show')
    .argument('<file>', 'PEM certificate file')
    .description('describe a certificate: subject, issuer, validity, Endpoint IDs, SHA-256 fingerprint')
    .action((file: string) => show(file));
}
