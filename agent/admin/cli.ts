/**
 * The `usp-agent` command line: `start` runs the agent; get/set/add/del/instances/gsdm/dump
 * talk to a running agent over the admin socket with full rights; `db` works offline on the
 * database file. Errors print one line (or one per failing path) and exit non-zero.
 */
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.js';
import type { AgentConfig } from '../config.js';
import { buildRequest, msgToJson } from '../../proto/index.js';
import type { DecodedMsg, Request } from '../../proto/index.js';
import { AdminConnectError, adminRequest } from './client.js';
import { socketAnswers } from './server.js';
import { DatabaseLockedError } from '../lock.js';
import { renderAdd, renderDelete, renderGet, renderGsdm, renderInstances, renderSet } from './format.js';
import type { Rendered } from './format.js';
import { splitAssignment } from './assignments.js';
import { addCertsCommands } from './cli-certs.js';
import { addConfigCommands } from './cli-config.js';

export interface CliHooks {
  /** Runs the agent until SIGTERM/SIGINT (provided by bin/, which owns the process). */
  start(config: AgentConfig): Promise<void>;
  resetDatabase(config: AgentConfig): Promise<void>;
  initDatabase(config: AgentConfig): Promise<string>;
  dumpDatabase(config: AgentConfig, path: string): Promise<DecodedMsg>;
}

interface CommonOpts {
  config?: string;
  dataDir?: string;
  set?: string[];
  socket?: string;
  json?: boolean;
}

class UsageError extends Error {}

/** Config file (or $USP_AGENT_CONFIG), then $USP_AGENT_SET (`a.b=1;c=x`), then each --set. */
function configOf(o: CommonOpts): AgentConfig {
  const env = (process.env.USP_AGENT_SET ?? '').split(';').filter((x) => x.trim() !== '');
  return loadConfig(o.config ?? process.env.USP_AGENT_CONFIG, { ...(o.dataDir && { dataDir: o.dataDir }), sets: [...env, ...(o.set ?? [])] });
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

let nextId = 0;
const msgId = (): string => `cli-${process.pid}-${Date.now()}-${++nextId}`;

async function send(o: CommonOpts, request: Request, render: (m: DecodedMsg) => Rendered): Promise<number> {
  const socket = o.socket ?? configOf(o).adminSocket;
  const reply = await adminRequest(socket, buildRequest(msgId(), request));
  if (o.json) {
    process.stdout.write(JSON.stringify(msgToJson(reply), null, 2) + '\n');
    return reply.body.error ? 1 : 0;
  }
  const { out, err } = render(reply);
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  if (err.length) process.stderr.write(err.join('\n') + '\n');
  return err.length ? 1 : 0;
}

/** Groups `Full.Path.Param=value` (or `Obj.Path. Param=value ...`) into per-object settings. */
function groupSettings(args: readonly string[]): { objPath: string; paramSettings: { param: string; value: string; required: boolean }[] }[] {
  const groups = new Map<string, { param: string; value: string; required: boolean }[]>();
  let currentObj: string | undefined;
  for (const a of args) {
    if (a.endsWith('.') && !a.includes('=')) {
      currentObj = a;
      if (!groups.has(a)) groups.set(a, []);
      continue;
    }
    const [lhs, value] = splitAssignment(a);
    let obj: string;
    let param: string;
    if (currentObj) {
      obj = currentObj;
      param = lhs;
    } else {
      const dot = lhs.lastIndexOf('.');
      if (dot <= 0) throw new UsageError(`'${a}': give Full.Path.Param=value, or an object path followed by Param=value`);
      obj = lhs.slice(0, dot + 1);
      param = lhs.slice(dot + 1);
    }
    if (!groups.has(obj)) groups.set(obj, []);
    groups.get(obj)?.push({ param, value, required: true });
  }
  if (groups.size === 0) throw new UsageError('nothing to do: give at least one Path=value');
  return [...groups].map(([objPath, paramSettings]) => ({ objPath, paramSettings }));
}

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'agent config file (to find the admin socket); default $USP_AGENT_CONFIG or built-in defaults')
    .option('-d, --data-dir <dir>', 'data folder of the agent (default ./data)')
    .option('-s, --socket <path>', 'admin socket of the running agent')
    .option('--json', 'print the USP response as JSON');
}

export function buildCli(hooks: CliHooks, version: string): Command {
  const program = new Command('usp-agent')
    .description('TR-369 USP Agent with a TR-181 data model on SQLite')
    .version(version)
    .showHelpAfterError('(run with --help for usage)');
  let exitCode = 0;
  const wrap =
    <A extends unknown[]>(fn: (...a: A) => Promise<number | void>) =>
    async (...a: A): Promise<void> => {
      exitCode = (await fn(...a)) ?? 0;
    };

  program
    .command('start')
    .description('run the agent (database and admin socket under the data folder)')
    .option('-c, --config <file>', 'JSON config file (default: $USP_AGENT_CONFIG or built-in defaults)')
    .option('-d, --data-dir <dir>', 'data folder (default ./data)')
    .option('--set <key=value>', 'override a config setting, e.g. --set mtps.0.port=9443 (repeatable)', collect)
    .option('--trace', 'protocol trace: print every USP Record in and out, decoded (same as log.trace=true)')
    .addOption(new Option('--log-level <level>', 'least severe log level written (log.level)').choices(['error', 'warn', 'info', 'debug']))
    .addHelpText('after', `
Examples:
  usp-agent start                                  # embedded defaults: ./data, WebSocket MTP on 127.0.0.1:8443 (mTLS, lab PKI)
  usp-agent start --config gateway.json
  usp-agent start --set endpointId=proto::lab-1 --set 'mtps=[{"protocol":"MQTT","host":"127.0.0.1","port":8883}]'
  usp-agent start --trace                          # print every USP Record in and out, decoded
  USP_AGENT_SET='log.level=debug' usp-agent start`)
    .action(
      wrap(async (o: CommonOpts & { trace?: boolean; logLevel?: string }) => {
        const flags = [...(o.trace ? ['log.trace=true'] : []), ...(o.logLevel ? [`log.level=${o.logLevel}`] : [])];
        return hooks.start(configOf({ ...o, set: [...(o.set ?? []), ...flags] }));
      }),
    );

  common(program.command('get').argument('<paths...>', 'object or parameter paths (wildcards and searches allowed)'))
    .description('read parameters')
    .addOption(new Option('--depth <n>', 'max_depth (0 = all levels)').default('0'))
    .action(wrap(async (paths: string[], o: CommonOpts & { depth: string }) => {
      const maxDepth = Number(o.depth);
      if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new UsageError(`--depth must be a whole number, not '${o.depth}'`);
      return send(o, { get: { paramPaths: paths, maxDepth } }, renderGet);
    }));

  common(program.command('set').argument('<settings...>', 'Path.Param=value ... or ObjPath. Param=value ...'))
    .description('change parameters (all or nothing unless --allow-partial)')
    .option('--allow-partial', 'apply what can be applied')
    .action(wrap(async (args: string[], o: CommonOpts & { allowPartial?: boolean }) =>
      send(o, { set: { allowPartial: o.allowPartial ?? false, updateObjs: groupSettings(args) } }, renderSet),
    ));

  common(program.command('add').argument('<table>', 'table path, e.g. Device.LocalAgent.Subscription.').argument('[settings...]', 'Param=value for the new row'))
    .description('create a table row')
    .action(wrap(async (table: string, settings: string[], o: CommonOpts) => {
      const paramSettings = settings.map((s) => {
        const [param, value] = splitAssignment(s);
        return { param, value, required: true };
      });
      return send(o, { add: { allowPartial: false, createObjs: [{ objPath: table, paramSettings }] } }, renderAdd);
    }));

  common(program.command('del').alias('delete').argument('<paths...>', 'instance paths, e.g. Device.LocalAgent.Subscription.1.'))
    .description('delete table rows')
    .option('--allow-partial', 'delete what can be deleted')
    .action(wrap(async (paths: string[], o: CommonOpts & { allowPartial?: boolean }) =>
      send(o, { delete: { allowPartial: o.allowPartial ?? false, objPaths: paths } }, renderDelete),
    ));

  common(program.command('instances').argument('<paths...>', 'table paths'))
    .description('list table rows and their unique keys')
    .option('--first-level', 'only the rows of the tables named, not nested tables')
    .action(wrap(async (paths: string[], o: CommonOpts & { firstLevel?: boolean }) =>
      send(o, { getInstances: { objPaths: paths, firstLevelOnly: o.firstLevel ?? false } }, renderInstances),
    ));

  common(program.command('gsdm').argument('<paths...>', 'supported paths, e.g. Device.LocalAgent.Controller.{i}.'))
    .description('show the supported data model')
    .option('--first-level', 'only the object and its direct children')
    .action(wrap(async (paths: string[], o: CommonOpts & { firstLevel?: boolean }) =>
      send(o, {
        getSupportedDm: { objPaths: paths, firstLevelOnly: o.firstLevel ?? false, returnCommands: true, returnEvents: true, returnParams: true, returnUniqueKeySets: true },
      }, renderGsdm),
    ));

  common(program.command('dump').argument('[path]', 'subtree to dump', 'Device.'))
    .description('print every parameter under a path, one per line')
    .action(wrap(async (path: string, o: CommonOpts) => send(o, { get: { paramPaths: [path], maxDepth: 0 } }, renderGet)));

  const db = program.command('db').description('work on the database file while the agent is stopped');
  const dbOpts = (c: Command): Command => c.option('-c, --config <file>', 'agent config file').option('-d, --data-dir <dir>', 'data folder (default ./data)');
  dbOpts(db.command('init').description('create and seed the database if it does not exist')).action(
    wrap(async (o: CommonOpts) => {
      process.stdout.write((await hooks.initDatabase(configOf(o))) + '\n');
    }),
  );
  dbOpts(db.command('reset').description('erase everything and reseed from the factory defaults')).action(
    wrap(async (o: CommonOpts) => {
      const config = configOf(o);
      if (await socketAnswers(config.adminSocket)) throw new UsageError(`the agent is running (admin socket ${config.adminSocket}); stop it before resetting its database`);
      requireDatabase(config);
      await hooks.resetDatabase(config);
      process.stdout.write(`database ${config.database} reset to factory defaults\n`);
    }),
  );
  dbOpts(db.command('dump').argument('[path]', 'subtree to dump', 'Device.').description('print the stored data model without a running agent')).action(
    wrap(async (path: string, o: CommonOpts) => {
      const config = configOf(o);
      if (await socketAnswers(config.adminSocket)) throw new UsageError(`the agent is running; use 'usp-agent dump' instead`);
      requireDatabase(config);
      const { out, err } = renderGet(await hooks.dumpDatabase(config, path));
      if (out.length) process.stdout.write(out.join('\n') + '\n');
      if (err.length) process.stderr.write(err.join('\n') + '\n');
      return err.length ? 1 : 0;
    }),
  );

  addCertsCommands(program, configOf);
  addConfigCommands(program, configOf, wrap);

  program.hook('postAction', () => {
    process.exitCode = exitCode;
  });
  return program;
}

/** The offline db commands work on an existing database only, so a mistyped --data-dir does not quietly create one. */
function requireDatabase(config: AgentConfig): void {
  if (!existsSync(config.database)) throw new UsageError(`no database at ${config.database} (check --data-dir; 'usp-agent db init' creates one)`);
}

/** Runs the CLI; any failure becomes one line on stderr and a non-zero exit (never a stack trace). */
export async function runCli(hooks: CliHooks, version: string, argv: readonly string[]): Promise<void> {
  try {
    await buildCli(hooks, version).parseAsync([...argv]);
  } catch (e) {
    const msg = e instanceof ConfigError || e instanceof AdminConnectError || e instanceof UsageError || e instanceof DatabaseLockedError ? e.message : `usp-agent: ${(e as Error).message}`;
    process.stderr.write(`${msg}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
