/**
 * Msg type → handler, and the single place that turns thrown errors into USP replies
 * (STYLE §4): a UspError becomes an Error message with its code (and param_errs when it
 * carries them); anything else is logged with its stack and becomes 7003. Stack traces never
 * reach a controller.
 */
import type { DataModel } from '../datamodel/model.js';
import { UspError, UspErrorCode } from '../datamodel/errors.js';
import { buildError, buildResponse, requestKind } from '../proto/index.js';
import type { DecodedMsg, Msg, Request } from '../proto/index.js';
import { handleAdd } from './handlers/add.js';
import type { HandlerContext, Requester } from './handlers/context.js';
import { handleDelete } from './handlers/delete.js';
import { handleGetInstances } from './handlers/get-instances.js';
import { handleGetSupportedDM } from './handlers/get-supported-dm.js';
import { handleGetSupportedProtocol } from './handlers/get-supported-protocol.js';
import { handleGet } from './handlers/get.js';
import { MessageError } from './handlers/message-error.js';
import { handleOperate } from './handlers/operate.js';
import { handleSet } from './handlers/set.js';
import type { Logger } from './log.js';
import type { RequestTable } from './operate/requests.js';

export interface DispatcherOptions {
  readonly dm: DataModel;
  readonly log: Logger;
  readonly supportedProtocols: string;
  readonly dataModelUri: string;
  /**
   * Receives the Responses and Errors controllers send back (NotifyResp, or an Error answering a
   * Notify); the notifier matches them to pending notifications by msg_id (R-NOT.1). Nothing is
   * sent back for them (R-MSG.0).
   */
  readonly onResponse?: (msg: DecodedMsg, requester: Requester) => void;
  /** Runs commands (Operate); without it (offline database tools) Operate is not supported. */
  readonly requests?: RequestTable;
}

/** Codes a handler may put in an Error message; anything else is reported as 7000 (§Error Codes). */
function allowedCode(code: number): number {
  return (code >= 7000 && code <= 7031) || (code >= 7200 && code <= 7999) ? code : UspErrorCode.MessageFailed;
}

export class Dispatcher {
  constructor(private readonly opts: DispatcherOptions) {}

  /**
   * Handles one decoded Msg from `requester` and returns the reply to send, or undefined when
   * none is due (responses and errors from controllers, R-MSG.0).
   */
  async handle(msg: DecodedMsg, requester: Requester): Promise<Msg | undefined> {
    const msgId = msg.header?.msgId ?? '';
    const body = msg.body;
    if (!body || body.msgBody !== 'request' || !body.request) {
      // Responses (NotifyResp) and Errors are consumed by the notification layer, not answered.
      this.opts.log.debug('DSP-D01', `no reply due for ${body?.msgBody ?? 'empty'} message ${msgId}`);
      if (body?.msgBody === 'response' || body?.msgBody === 'error') {
        try {
          this.opts.onResponse?.(msg, requester);
        } catch (e) {
          this.opts.log.error('DSP-E02', `handling ${body.msgBody} message ${msgId} failed`, e);
        }
      }
      return undefined;
    }
    try {
      return await this.opts.dm.lock(() => this.route(msgId, body.request as Request, requester));
    } catch (e) {
      if (e instanceof MessageError) return buildError(msgId, allowedCode(e.code), e.message, e.paramErrs.map((p) => ({ ...p })));
      if (UspError.is(e)) return buildError(msgId, allowedCode(e.code), e.message);
      this.opts.log.error('DSP-E01', `internal error handling message ${msgId}`, e);
      return buildError(msgId, UspErrorCode.InternalError, 'internal error');
    }
  }

  private async route(msgId: string, req: Request, requester: Requester): Promise<Msg | undefined> {
    const ctx: HandlerContext = { dm: this.opts.dm, requester, supportedProtocols: this.opts.supportedProtocols };
    const kind = requestKind(req);
    switch (kind) {
      case 'get':
        return buildResponse(msgId, { getResp: await handleGet(req.get ?? {}, ctx) });
      case 'set':
        return buildResponse(msgId, { setResp: await handleSet(req.set ?? {}, ctx) });
      case 'add':
        return buildResponse(msgId, { addResp: await handleAdd(req.add ?? {}, ctx) });
      case 'delete':
        return buildResponse(msgId, { deleteResp: await handleDelete(req.delete ?? {}, ctx) });
      case 'getInstances':
        return buildResponse(msgId, { getInstancesResp: await handleGetInstances(req.getInstances ?? {}, ctx) });
      case 'getSupportedDm':
        return buildResponse(msgId, {
          getSupportedDmResp: handleGetSupportedDM(req.getSupportedDm ?? {}, ctx, this.opts.dataModelUri),
        });
      case 'getSupportedProtocol':
        return buildResponse(msgId, {
          getSupportedProtocolResp: handleGetSupportedProtocol(req.getSupportedProtocol ?? {}, ctx),
        });
      case 'notify':
      case 'register':
      case 'deregister':
        // Agent-to-controller messages (and USP Service registration, which needs a broker agent).
        throw new UspError(UspErrorCode.MessageNotSupported, `${kind} requests are not accepted by this agent`);
      case 'operate': {
        if (!this.opts.requests) throw new UspError(UspErrorCode.MessageNotSupported, 'Operate needs a running agent');
        const operateResp = await handleOperate(req.operate ?? {}, ctx, this.opts.requests);
        // send_resp=false: no OperateResp, but the commands ran (R-OPR.4, TP-469 1.65).
        return req.operate?.sendResp ? buildResponse(msgId, { operateResp }) : undefined;
      }
      default:
        throw new UspError(UspErrorCode.InvalidArguments, 'request has no known request type');
    }
  }
}
