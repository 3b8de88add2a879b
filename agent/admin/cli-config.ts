/**
 * `usp-agent config check FILE` validates a config file the way `start` would read it and
 * prints every problem at once, one per line with its location; `config show` prints the
 * effective config (defaults filled in, passwords masked); `config doc` prints the settings
 * reference of docs/config.md from the shipped JSON Schema.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import type { AgentConfig, AgentMtpConfig, ControllerMtpConfig } from '../config.js';
import { loadConfigSchema, REFERENCE_BEGIN, REFERENCE_END, renderConfigReference } from './config-doc.js';

type Wrap = <A extends unknown[]>(fn: (...a: A) => Promise<number | void>) => (...a: A) => Promise<void>;
type Loader = (o: { config?: string; dataDir?: string; set?: string[] }) => AgentConfig;

const tlsNote = (on: boolean): string => (on ? 'TLS' : 'no TLS');

function describeMtp(m: AgentMtpConfig): string {
  if (m.protocol === 'WebSocket') return `WebSocket server ${m.host}:${m.port}${m.path} (${m.encryption ? 'mutual TLS' : 'no TLS'})`;
  if (m.protocol === 'MQTT') return `MQTT ${m.version} broker ${m.host}:${m.port} (${tlsNote(m.encryption)}), agent topic ${m.responseTopic}`;
  return `STOMP broker ${m.host}:${m.port} vhost ${m.virtualHost} (${tlsNote(m.encryption)}), agent destination ${m.destination}`;
}

function describeControllerMtp(m: ControllerMtpConfig): string {
  if (m.protocol === 'MQTT') return `MQTT ${m.topic}`;
  if (m.protocol === 'STOMP') return `STOMP ${m.destination}`;
  return `WebSocket ${m.encryption ? 'wss' : 'ws'}://${m.host}:${m.port}${m.path}`;
}

/** The short summary `config check` prints for a good file. */
export function summarize(c: AgentConfig): string[] {
  return [
    `endpoint: ${c.endpointId}`,
    `database: ${c.database}`,
    ...c.mtps.map((m, i) => `mtp ${i}: ${describeMtp(m)}`),
    ...c.controllers.map((k) => `controller: ${k.endpointId}${k.mtps.length ? ` via ${k.mtps.map(describeControllerMtp).join(', ')}` : ''}`),
    ...(c.plugins.length ? [`plugins: ${c.plugins.join(', ')}`] : []),
    `log: ${c.log.level}, ${c.log.format}${c.log.trace ? ', protocol trace' : ''}`,
  ];
}

/** Files the agent will need at start that are not there (reported, but not fatal: the file may be checked on another machine). */
function missingFiles(c: AgentConfig): string[] {
  const want: [string, string][] = c.plugins.map((p, i) => [`plugins.${i}`, p]);
  if (!c.tls.createLabPki) want.push(['tls.cert', c.tls.cert], ['tls.key', c.tls.key], ['tls.ca', c.tls.ca]);
  if (c.factoryDefaults) want.push(['factoryDefaults', c.factoryDefaults]);
  return want.filter(([, p]) => !existsSync(p)).map(([where, p]) => `${where}: ${p} does not exist here`);
}

/** Secrets in `config show` output: every non-empty `password`. */
function mask(key: string, value: unknown): unknown {
  return key === 'password' && typeof value === 'string' && value !== '' ? '********' : value;
}

/** `config check FILE`: the exit status. */
function check(file: string): number {
  let c: AgentConfig;
  try {
    c = loadConfig(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(e.problems.map((p) => `${file}: ${p}\n`).join(''));
    return 1;
  }
  process.stdout.write(
    `${file}: ok\n${summarize(c)
      .map((l) => `  ${l}\n`)
      .join('')}`,
  );
  const missing = missingFiles(c);
  if (missing.length) process.stderr.write(missing.map((m) => `${file}: warning: ${m}\n`).join(''));
  return 0;
}

/** `config doc [--update FILE]`: prints the reference, or replaces it between the markers of FILE. */
function doc(update: string | undefined): void {
  const reference = renderConfigReference(loadConfigSchema());
  if (!update) return void process.stdout.write(reference);
  const text = readFileSync(update, 'utf8');
  const from = text.indexOf(REFERENCE_BEGIN);
  const to = text.indexOf(REFERENCE_END);
  if (from < 0 || to < from) throw new Error(`${update} has no reference markers`);
  writeFileSync(update, text.slice(0, from) + reference + text.slice(to + REFERENCE_END.length + 1));
}

export function addConfigCommands(program: Command, configOf: Loader, wrap: Wrap): void {
  const config = program.command('config').description('check, show and document the JSON config file');
  config
    .command('check')
    .argument('<file>', 'JSON config file')
    .description('validate a config file: "FILE: ok" and a summary, or every problem with its location (exit 1)')
    .action(wrap((file: string) => Promise.resolve(check(file))));
  config
    .command('show')
    .description('print the effective config as JSON: the file (or built-in defaults) with every default filled in, passwords masked')
    .option('-c, --config <file>', 'JSON config file (default: $USP_AGENT_CONFIG or built-in defaults)')
    .option('-d, --data-dir <dir>', 'data folder (default ./data)')
    .option('--set <key=value>', 'override a setting, as with start (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .action(
      wrap((o: { config?: string; dataDir?: string; set?: string[] }) =>
        Promise.resolve(void process.stdout.write(JSON.stringify(configOf(o), mask, 2) + '\n')),
      ),
    );
  config
    .command('doc')
    .description('print the settings reference (Markdown) generated from the shipped JSON Schema')
    .option('--update <file>', 'replace the reference section of this Markdown file instead (docs/config.md)')
    .action(wrap((o: { update?: string }) => Promise.resolve(doc(o.update))));
}
