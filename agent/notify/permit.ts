/**
 * What a notification's recipient may receive (TR-181 ControllerTrust, the `n` permission bit,
 * USP-NOTES §11): ValueChange needs Param n on the parameter, ObjectCreation Obj n on the table,
 * ObjectDeletion InstantiatedObj n on the row, Event and OperationComplete CommandEvent n on the
 * event or command. ObjectCreation keeps only the unique keys the recipient may read (Param r).
 * The roles are read when the notification is matched, so a role taken away stops the next one.
 */
import type { NotifyReq } from '../../proto/index.js';
import { NOTIFY, READ } from '../trust/access.js';
import type { Access } from '../trust/access.js';

/** A recipient's rights as the notifier needs them (agent/trust ControllerRights). */
export interface RecipientRights {
  readonly access: Access;
  /** Holds the BannedRole: gets nothing. */
  readonly banned: boolean;
  /** Holds a SecuredRole: reads secured values (Boot! ParameterMap). */
  readonly readSecured?: boolean;
}

/** `n` as the recipient may see it, or undefined when it may not receive it at all. */
export function forRecipient(n: NotifyReq, rights: RecipientRights | undefined): NotifyReq | undefined {
  if (!rights) return n;
  if (rights.banned) return undefined;
  const acc = rights.access;
  if (acc.full) return n;
  if (n.valueChange) {
    const path = n.valueChange.paramPath ?? '';
    const dot = path.lastIndexOf('.');
    return acc.param(path.slice(0, dot + 1), path.slice(dot + 1)) & NOTIFY ? n : undefined;
  }
  if (n.objCreation) {
    const row = n.objCreation.objPath ?? '';
    const table = row.slice(0, row.lastIndexOf('.', row.length - 2) + 1);
    if (!(acc.obj(table) & NOTIFY)) return undefined;
    const keys = Object.entries(n.objCreation.uniqueKeys ?? {}).filter(([k]) => acc.param(row, k) & READ);
    return { ...n, objCreation: { ...n.objCreation, uniqueKeys: Object.fromEntries(keys) } };
  }
  if (n.objDeletion) return acc.instance(n.objDeletion.objPath ?? '') & NOTIFY ? n : undefined;
  if (n.event) return acc.cmdEvent(n.event.objPath ?? '', n.event.eventName ?? '') & NOTIFY ? n : undefined;
  if (n.operComplete) return acc.cmdEvent(n.operComplete.objPath ?? '', n.operComplete.commandName ?? '') & NOTIFY ? n : undefined;
  // OnBoardRequest (sent by onboard.ts, not through subscriptions) and anything new: unchanged.
  return n;
}
