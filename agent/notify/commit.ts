/**
 * What one committed transaction means to the notifier beyond its individual changes, and the
 * contents it needs from the committed state (notifier.ts uses these while it handles the commit).
 */
import type { DataModel } from '../../datamodel/model.js';
import type { ChangeEvent } from '../../datamodel/txn.js';
import type { Matcher } from './match.js';
import type { PeriodicWish } from './periodic.js';
import { CONTROLLER_TABLE, dateTimeMs, refToPath, value } from './subscriptions.js';
import type { Subscription } from './subscriptions.js';

export const isController = (path: string): boolean => /^Device\.LocalAgent\.Controller\.\d+\.$/.test(path);

export interface CommitFacts {
  /**
   * Subscription path → the Recipient it had before this commit cleared it: a deleted
   * controller's subscriptions lose their Recipient in the same commit (strong reference,
   * R-ARC.12), but still hear that commit (USP-NOTES §10).
   */
  readonly oldRecipient: ReadonlyMap<string, string>;
  /** Controllers this commit disabled: they still hear it (USP-NOTES §10). */
  readonly wasEnabled: ReadonlySet<string>;
  /**
   * Rows created or enabled by this commit: a subscription among them starts with the next
   * commit, so it does not report the one that made it (its own creation, for instance).
   */
  readonly fresh: ReadonlySet<string>;
  /** Controller rows this commit deleted. */
  readonly deletedControllers: ReadonlySet<string>;
}

export function commitFacts(events: readonly ChangeEvent[]): CommitFacts {
  const oldRecipient = new Map<string, string>();
  const wasEnabled = new Set<string>();
  const fresh = new Set<string>();
  const deletedControllers = new Set<string>();
  for (const e of events) {
    if (e.kind === 'created') fresh.add(e.objPath);
    else if (e.kind === 'deleted' && e.node.path === CONTROLLER_TABLE) deletedControllers.add(e.objPath);
    if (e.kind !== 'value') continue;
    if (e.name === 'Recipient' && e.newValue === '' && e.oldValue !== '') oldRecipient.set(e.objPath, refToPath(e.oldValue));
    if (e.name === 'Enable' && e.oldValue === 'true' && isController(e.objPath)) wasEnabled.add(e.objPath);
    if (e.name === 'Enable' && e.newValue === 'true') fresh.add(e.objPath);
  }
  return { oldRecipient, wasEnabled, fresh, deletedControllers };
}

/**
 * Controllers this commit asks an OnBoardRequest for (R-NOT.5/6a: an enabled controller whose
 * OnBoardingComplete is false — a new row, Enable turning true, OnBoardingComplete turning
 * false), and those whose onboarding it completed.
 */
export function onboardingChanges(dm: DataModel, events: readonly ChangeEvent[]): { request: string[]; completed: string[] } {
  const request: string[] = [];
  const completed: string[] = [];
  const incomplete = (path: string): boolean => {
    const row = dm.tree.get(path);
    return row !== undefined && value(row, 'OnBoardingComplete') !== 'true';
  };
  for (const e of events) {
    if (e.kind === 'created' && e.node.path === CONTROLLER_TABLE && incomplete(e.objPath)) request.push(e.objPath);
    if (e.kind !== 'value' || !isController(e.objPath)) continue;
    if (e.name === 'OnBoardingComplete') (e.newValue === 'true' ? completed : request).push(e.objPath);
    else if (e.name === 'Enable' && e.newValue === 'true' && incomplete(e.objPath)) request.push(e.objPath);
  }
  return { request, completed };
}

/** The unique-key values of a new row (ObjectCreation unique_keys), as a controller without SecuredRoles reads them. */
export function uniqueKeys(dm: DataModel, rowPath: string): Record<string, string> | Promise<Record<string, string>> {
  const row = dm.tree.get(rowPath);
  if (!row) return {};
  const entries: [string, string | Promise<string>][] = [];
  for (const name of new Set(row.node.uniqueKeys.flatMap((k) => k.params))) {
    const p = row.node.params.get(name);
    if (p) entries.push([name, p.def.secured || p.def.hidden ? '' : dm.read(row, p)]);
  }
  if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries) as Record<string, string>;
  return Promise.all(entries.map(async ([k, v]) => [k, await Promise.resolve(v).catch(() => '')] as const)).then((kv) => Object.fromEntries(kv));
}

/** Which enabled controllers want Periodic! (an enabled Event subscription to it), with their timing. */
export function periodicWishes(dm: DataModel, subs: readonly Subscription[], m: Matcher): Map<string, PeriodicWish> {
  const wanted = new Map<string, PeriodicWish>();
  for (const s of subs) {
    if (!s.enabled || s.notifType !== 'Event' || wanted.has(s.recipient) || !m.occurrence(s, 'Device.LocalAgent.', 'Periodic!')) continue;
    const row = dm.tree.get(s.recipient);
    if (row && value(row, 'Enable') === 'true') {
      wanted.set(s.recipient, { intervalS: Number(value(row, 'PeriodicNotifInterval')) || 0, refMs: dateTimeMs(value(row, 'PeriodicNotifTime')) });
    }
  }
  return wanted;
}
