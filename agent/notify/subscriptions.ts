/**
 * Device.LocalAgent.Subscription.{i} (TR-181 LocalAgent, TR-369 §Using Subscription Objects,
 * USP-NOTES §8): the behaviour the agent adds to the stored rows, and a typed view of them.
 *
 * - On Add, Recipient is filled with the creating controller's Controller row and CreationDate
 *   with the current time (both read-only; the admin CLI has no controller row, so its rows keep
 *   an empty Recipient and notify nobody).
 * - ReferenceList is immutable once non-empty (TR-181: delete and recreate the row instead); a
 *   change is refused with 7013, the code this agent already uses for other write-once values
 *   (writeOnceReadOnly params and non-functional keys, R-KEY.1): "attempt to update a
 *   non-writeable parameter".
 * - ReferenceList items must be paths of the supported data model (7008 bad syntax, 7026 not
 *   supported) of the kind NotifType needs (7012 otherwise). A ValueChange item naming a parameter
 *   whose data model denies value-change notification (ParamNode.valueChangeDenied, reported as
 *   VALUE_CHANGE_WILL_IGNORE in GetSupportedDM) is refused with 7012 Invalid Value: the list names
 *   something that can never be a ValueChange target. It is not 7006: that code is about the
 *   controller's permissions, which a role change could grant, and TP-469 2.20 has missing
 *   permissions accept the subscription anyway. Denied parameters merely covered by an object path
 *   are skipped silently.
 * NotifType and ReferenceList are validated as a pair by whichever of the two is written last, so
 * the order of the settings in one Add or Set does not matter.
 */
import type { Clock } from '../clock.js';
import { InvalidPathError, InvalidValueError, ParamReadOnlyError } from '../../datamodel/errors.js';
import type { InstanceTree, ObjInstance } from '../../datamodel/instances.js';
import type { ObjectNode } from '../../datamodel/nodes.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import type { Registry } from '../../datamodel/registry.js';
import { splitList, UNKNOWN_TIME } from '../../datamodel/types.js';

export const SUBSCRIPTION_TABLE = 'Device.LocalAgent.Subscription.{i}.';
export const CONTROLLER_TABLE = 'Device.LocalAgent.Controller.{i}.';

export type NotifType = 'ValueChange' | 'ObjectCreation' | 'ObjectDeletion' | 'OperationComplete' | 'Event';

/** One Subscription row as the notifier uses it. */
export interface Subscription {
  /** Instance path, e.g. `Device.LocalAgent.Subscription.2.`. */
  readonly path: string;
  /** Becomes Notify.subscription_id. */
  readonly id: string;
  readonly enabled: boolean;
  /** Instance path of the recipient's Controller row (with the trailing dot), '' when none. */
  readonly recipient: string;
  readonly notifType: NotifType | '';
  readonly refs: readonly string[];
  readonly persistent: boolean;
  readonly timeToLiveS: number;
  /** CreationDate in ms since the epoch; undefined when unknown. */
  readonly createdMs: number | undefined;
  readonly notifRetry: boolean;
  readonly notifExpirationS: number;
}

/** A parameter's stored value, or its default. */
export const value = (inst: ObjInstance, name: string): string => inst.values.get(name) ?? inst.node.params.get(name)?.defaultValue ?? '';

/** The instance path a reference value (no trailing dot) names. */
export const refToPath = (ref: string): string => (ref === '' || ref.endsWith('.') ? ref : `${ref}.`);

/** TR-106 dateTime in ms, undefined for the Unknown Time and unparsable values. */
export function dateTimeMs(v: string): number | undefined {
  if (v === '' || v === UNKNOWN_TIME) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** TR-106 canonical dateTime (whole seconds, UTC) for `ms`. */
export function dateTimeOf(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function toSubscription(row: ObjInstance): Subscription {
  const nt = value(row, 'NotifType');
  return {
    path: row.path,
    id: value(row, 'ID'),
    enabled: value(row, 'Enable') === 'true',
    recipient: refToPath(value(row, 'Recipient')),
    notifType: NOTIF_TYPES.has(nt) ? (nt as NotifType) : '',
    refs: splitList(value(row, 'ReferenceList')),
    persistent: value(row, 'Persistent') === 'true',
    timeToLiveS: Number(value(row, 'TimeToLive')) || 0,
    createdMs: dateTimeMs(value(row, 'CreationDate')),
    notifRetry: value(row, 'NotifRetry') === 'true',
    notifExpirationS: Number(value(row, 'NotifExpiration')) || 0,
  };
}

/** Every Subscription row, in instance order. */
export function readSubscriptions(tree: InstanceTree): Subscription[] {
  return [...(tree.get('Device.LocalAgent.')?.rows('Subscription') ?? [])].map(toSubscription);
}

const NOTIF_TYPES: ReadonlySet<string> = new Set(['ValueChange', 'ObjectCreation', 'ObjectDeletion', 'OperationComplete', 'Event']);

/** Registers the Subscription behaviour (STYLE §5: through the same Registry API vendors use). */
export function registerSubscriptions(registry: Registry, clock: Clock): void {
  registry.table(SUBSCRIPTION_TABLE, {
    initRow: (row) => {
      // TR-181 Recipient: "automatically populated ... using the reference to the USP Controller that created the instance".
      const ctrl = row.creator.controllerPath;
      if (ctrl) row.set('Recipient', ctrl.endsWith('.') ? ctrl.slice(0, -1) : ctrl);
      row.set('CreationDate', dateTimeOf(clock.now()));
    },
  });
  registry.param(`${SUBSCRIPTION_TABLE}ReferenceList`, {
    validate: (v, ctx) => {
      const current = ctx.stored.get('ReferenceList') ?? '';
      if (current !== '' && v !== current) {
        throw new ParamReadOnlyError(`${ctx.objPath}ReferenceList cannot change once set; delete the subscription and create a new one`);
      }
      checkReferenceList(registry, ctx.stored.get('NotifType') ?? '', v);
    },
  });
  registry.param(`${SUBSCRIPTION_TABLE}NotifType`, {
    validate: (v, ctx) => checkReferenceList(registry, v, ctx.stored.get('ReferenceList') ?? ''),
  });
}

/** Checks every ReferenceList item against the supported data model and the NotifType (see the file comment). */
export function checkReferenceList(registry: Registry, notifType: string, list: string): void {
  const items = splitList(list);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) throw new InvalidValueError(`ReferenceList names '${item}' twice`);
    seen.add(item);
    checkItem(registry, notifType, item, parsePath(item));
  }
}

function checkItem(registry: Registry, notifType: string, item: string, p: ParsedPath): void {
  const at = supportedNode(registry, p);
  if (!at) return; // reference following: the target type is only known at run time
  const { node, tableLevel } = at;
  const leaf = p.leaf;
  const wrongKind = (what: string): Error => new InvalidValueError(`ReferenceList item '${item}' is not ${what}, as NotifType ${notifType} needs`);
  if (leaf.kind === 'param') {
    const param = node.params.get(leaf.name);
    if (!param) throw new InvalidPathError(`'${item}': ${leaf.name} is not a parameter of ${node.path}`);
    if (notifType !== '' && notifType !== 'ValueChange') throw wrongKind(kindText(notifType));
    if (param.valueChangeDenied) {
      throw new InvalidValueError(`'${item}': the data model denies value-change notification for ${node.path}${leaf.name} (VALUE_CHANGE_WILL_IGNORE)`);
    }
  } else if (leaf.kind === 'command') {
    if (!node.commands.has(`${leaf.name}()`)) throw new InvalidPathError(`'${item}': ${leaf.name}() is not a command of ${node.path}`);
    if (notifType !== '' && notifType !== 'OperationComplete') throw wrongKind(kindText(notifType));
  } else if (leaf.kind === 'event') {
    if (!node.events.has(`${leaf.name}!`)) throw new InvalidPathError(`'${item}': ${leaf.name}! is not an event of ${node.path}`);
    if (notifType !== '' && notifType !== 'Event') throw wrongKind(kindText(notifType));
  } else if ((notifType === 'ObjectCreation' || notifType === 'ObjectDeletion') && !(node.isTable && tableLevel)) {
    throw wrongKind(kindText(notifType));
  }
}

function kindText(notifType: string): string {
  switch (notifType) {
    case 'ValueChange':
      return 'a parameter or object path';
    case 'ObjectCreation':
    case 'ObjectDeletion':
      return 'a multi-instance object (table) path';
    case 'OperationComplete':
      return 'a command or object path';
    default:
      return 'an event or object path';
  }
}

/**
 * The supported object a path ends on (`tableLevel`: it ends on a table name or on one of its
 * instance selectors), or undefined after reference following. Throws 7026 off the supported model.
 */
function supportedNode(registry: Registry, p: ParsedPath): { node: ObjectNode; tableLevel: boolean } | undefined {
  let node: ObjectNode = registry.root;
  let atTable = false;
  let tableLevel = false;
  const bad = (why: string): Error => new InvalidPathError(`'${p.raw}': ${why}`);
  for (let i = 1; i < p.segments.length; i++) {
    const seg = p.segments[i];
    if (!seg) break;
    if (seg.kind === 'name') {
      if (atTable) throw bad(`'${seg.name}' follows a table name where an instance is expected`);
      const child = node.children.get(seg.name);
      if (!child) throw bad(`'${seg.name}' is not an object of ${node.path}`);
      node = child;
      atTable = child.isTable;
      tableLevel = child.isTable;
    } else if (seg.kind === 'ref') {
      return undefined;
    } else {
      if (!atTable) throw bad(`an instance selector follows ${node.path}, which is not a table`);
      atTable = false;
    }
  }
  if (atTable && p.leaf.kind !== 'object') throw bad(`${node.path} is a table; name an instance before '${p.leaf.name}'`);
  return { node, tableLevel: tableLevel && (atTable || lastIsSelector(p)) };
}

function lastIsSelector(p: ParsedPath): boolean {
  const last = p.segments[p.segments.length - 1];
  return last !== undefined && last.kind !== 'name' && last.kind !== 'ref';
}
