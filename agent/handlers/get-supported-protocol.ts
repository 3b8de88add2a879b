/** GetSupportedProtocol (TR-369 §GetSupportedProtocol, TP-469 1.80): our USP versions as a CSV. */
import type { usp } from '../../proto/index.js';
import type { HandlerContext } from './context.js';

export function handleGetSupportedProtocol(_req: usp.GetSupportedProtocol.$Shape, ctx: HandlerContext): usp.GetSupportedProtocolResp.$Shape {
  return { agentSupportedProtocolVersions: ctx.supportedProtocols };
}
