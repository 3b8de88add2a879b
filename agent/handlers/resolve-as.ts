/**
 * Path resolution as the requester of a message may see it: a search expression selects rows
 * only by parameters the requester may read (agent/trust/resolve.ts, USP-NOTES §11).
 */
import type { ParsedPath } from '../../datamodel/path-ast.js';
import type { Resolution } from '../../datamodel/resolver.js';
import { resolveFor } from '../trust/resolve.js';
import { accessOf } from './context.js';
import type { HandlerContext } from './context.js';

export function resolveAs(ctx: HandlerContext, p: ParsedPath): Promise<Resolution> {
  return resolveFor(ctx.dm, p, { access: accessOf(ctx.requester), readSecured: ctx.requester.readSecured });
}
