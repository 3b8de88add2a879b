/**
 * An in-process agent core for the Bulk Data tests (like test/helpers/agent.ts, plus the
 * BulkDataService, so a test can wait for a report cycle to finish instead of sleeping).
 */
import { openCore, SUPPORTED_USP_VERSIONS } from '../../../agent/agent.js';
import type { AgentConfig, AgentOptions } from '../../../agent/agent.js';
import { ADMIN_REQUESTER } from '../../../agent/admin/server.js';
import type { BulkDataService, CycleResult } from '../../../agent/bulkdata/service.js';
import { Dispatcher } from '../../../agent/dispatch.js';
import type { Requester } from '../../../agent/handlers/context.js';
import { SILENT_LOGGER } from '../../../agent/log.js';
import type { DataModel } from '../../../datamodel/model.js';
import { loadTr181 } from '../../../datamodel/schema/index.js';
import { buildRequest, decodeMsg, encodeMsg } from '../../../proto/index.js';
import type { DecodedMsg, Request } from '../../../proto/index.js';

export interface BulkAgent {
  readonly config: AgentConfig;
  readonly dm: DataModel;
  readonly bulkData: BulkDataService;
  request(request: Request, requester?: Requester): Promise<DecodedMsg>;
  /** Resolves with the next `n` finished report cycles (from now). */
  cycles(n?: number, timeoutMs?: number): Promise<CycleResult[]>;
  close(): Promise<void>;
}

let seq = 0;

export async function startBulkAgent(config: AgentConfig, opts: AgentOptions = {}): Promise<BulkAgent> {
  const core = await openCore(config, { log: SILENT_LOGGER, ...opts });
  const dispatcher = new Dispatcher({ dm: core.dm, log: SILENT_LOGGER, supportedProtocols: SUPPORTED_USP_VERSIONS, dataModelUri: loadTr181().uri, requests: core.requests });
  return {
    config,
    dm: core.dm,
    bulkData: core.bulkData,
    async request(request, requester = ADMIN_REQUESTER) {
      const reply = await dispatcher.handle(decodeMsg(encodeMsg(buildRequest(`bulk-${++seq}`, request))), requester);
      if (!reply) throw new Error('no reply');
      return decodeMsg(encodeMsg(reply));
    },
    cycles: (n = 1, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const got: CycleResult[] = [];
        const timer = setTimeout(() => {
          off();
          reject(new Error(`only ${got.length} of ${n} report cycle(s) within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = core.bulkData.onReport((r) => {
          got.push(r);
          if (got.length < n) return;
          clearTimeout(timer);
          off();
          resolve(got);
        });
      }),
    close: () => core.close(),
  };
}
