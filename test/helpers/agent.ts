/**
 * A real agent in-process for tests: temporary data folder with a real SQLite file, the real
 * registry, dispatcher and record router. `request()` sends a USP request Msg through the
 * dispatcher with the requester of your choice and returns the decoded reply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, openCore, SUPPORTED_USP_VERSIONS } from '../../agent/agent.js';
import type { AgentConfig, AgentOptions } from '../../agent/agent.js';
import { ADMIN_REQUESTER } from '../../agent/admin/server.js';
import { Dispatcher } from '../../agent/dispatch.js';
import type { Requester } from '../../agent/handlers/context.js';
import { SILENT_LOGGER } from '../../agent/log.js';
import type { RequestTable } from '../../agent/operate/requests.js';
import { RecordRouter } from '../../agent/record/router.js';
import type { DataModel } from '../../datamodel/model.js';
import { loadTr181 } from '../../datamodel/schema/index.js';
import { buildRequest, decodeMsg, encodeMsg } from '../../proto/index.js';
import type { DecodedMsg, Request } from '../../proto/index.js';

export const AGENT_EID = 'proto::agent-under-test';
export const CONTROLLER_EID = 'proto::controller-1';

/** A controller without SecuredRoles (secured values read back empty). */
export const CONTROLLER: Requester = { endpointId: CONTROLLER_EID, controllerPath: undefined, readSecured: false };
export { ADMIN_REQUESTER };

export interface TestAgent {
  readonly dir: string;
  readonly config: AgentConfig;
  readonly dm: DataModel;
  readonly dispatcher: Dispatcher;
  readonly router: RecordRouter;
  /** Running commands and Device.LocalAgent.Request.{i}. */
  readonly requests: RequestTable;
  /** Sends `request` as a Msg (round-tripped through protobuf) and returns the decoded reply. */
  request(request: Request, requester?: Requester): Promise<DecodedMsg>;
  /** Stops running commands and closes the database (keeps the folder) so the same files can be reopened. */
  close(): Promise<void>;
  /** Reopens the same database files, as after a restart. */
  reopen(opts?: AgentOptions): Promise<TestAgent>;
}

let seq = 0;

/** Makes a config in a fresh temporary folder (removed in teardown by the caller's `t.teardown(cleanup)`). */
export function tempConfig(extra: Record<string, unknown> = {}): { config: AgentConfig; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'usp-agent-test-'));
  const config = { ...loadConfig(undefined, { dataDir: dir }), endpointId: AGENT_EID, ...extra };
  return { config, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startTestAgent(config: AgentConfig, dir: string, opts: AgentOptions = {}): Promise<TestAgent> {
  const core = await openCore(config, { log: SILENT_LOGGER, ...opts });
  const { dm, requests } = core;
  const dispatcher = new Dispatcher({ dm, log: SILENT_LOGGER, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri, requests });
  const router = new RecordRouter({
    endpointId: config.endpointId,
    dispatcher,
    log: SILENT_LOGGER,
    maxRecordBytes: config.limits.maxMessageBytes,
    requesterFor: (eid) => ({ endpointId: eid, controllerPath: undefined, readSecured: false }),
  });
  const self: TestAgent = {
    dir,
    config,
    dm,
    dispatcher,
    router,
    requests,
    async request(request, requester = ADMIN_REQUESTER) {
      const bytes = encodeMsg(buildRequest(`test-${++seq}`, request));
      const reply = await dispatcher.handle(decodeMsg(bytes), requester);
      if (!reply) throw new Error('no reply');
      return decodeMsg(encodeMsg(reply));
    },
    close: () => core.close(),
    async reopen(o) {
      await core.close();
      return startTestAgent(config, dir, o);
    },
  };
  return self;
}

/** A fresh agent on a fresh database; call the returned cleanup in t.teardown. */
export async function freshAgent(opts: AgentOptions = {}): Promise<{ agent: TestAgent; cleanup: () => void }> {
  const { config, dir, cleanup } = tempConfig();
  const agent = await startTestAgent(config, dir, opts);
  return {
    agent,
    cleanup: () => {
      agent.close();
      cleanup();
    },
  };
}
