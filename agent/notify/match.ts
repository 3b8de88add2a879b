/**
 * Which subscriptions a change, event or completed command concerns (TR-181
 * Subscription.{i}.ReferenceList semantics by NotifType, USP-NOTES §8):
 * - ValueChange: a parameter path (or search path ending in one), or an object path covering
 *   every parameter below it;
 * - ObjectCreation: the table (or its instances, `Table.*.`) the new row belongs to;
 * - ObjectDeletion: the instances the path selects; `Table.*.` covers every instance over time.
 *   Deleted rows have left the tree, so the notifier keeps, per subscription, the set of rows it
 *   selected after the previous commit (deletionSet);
 * - OperationComplete / Event: a command / event path, or an object path covering every command /
 *   event below it.
 * One Matcher is used for one committed batch: it caches each path's selection, which stays
 * valid while the batch is processed synchronously.
 * A search expression in a ReferenceList item selects rows only by parameters the subscription's
 * Recipient may read (its ControllerTrust Param r, `accessOf`), as in its own messages
 * (USP-NOTES §11: authorization applies to every action; agent/trust/resolve.ts). Such a
 * subscription is accepted, since the roles may change later, but cannot test hidden values.
 */
import type { DataModel } from '../../datamodel/model.js';
import { parsePath } from '../../datamodel/path.js';
import type { ParsedPath } from '../../datamodel/path.js';
import { coveredInstances, coversPrefix, select, selectedRows, selects } from './matcher.js';
import type { Selection } from './matcher.js';
import { isLive } from './sampler.js';
import type { Watched } from './sampler.js';
import type { Subscription } from './subscriptions.js';
import type { Access } from '../trust/access.js';

interface Resolved {
  readonly p: ParsedPath;
  readonly sel: Selection;
}

export class Matcher {
  private readonly cache = new Map<string, Resolved | null>();

  constructor(
    private readonly dm: DataModel,
    /** The Recipient's rights; undefined (or none) selects as with full rights. */
    private readonly accessOf?: (s: Subscription) => Access | undefined,
  ) {}

  /** A committed or sampled change of parameter `name` of `objPath`. */
  valueChange(s: Subscription, objPath: string, name: string): boolean {
    return this.any(s, ({ p, sel }) =>
      p.leaf.kind === 'object' ? coversPrefix(sel, objPath) : p.leaf.kind === 'param' && p.leaf.name === name && selects(sel, objPath),
    );
  }

  /** A new row `rowPath` (`<table path><n>.`). */
  creation(s: Subscription, rowPath: string): boolean {
    const table = rowPath.slice(0, rowPath.lastIndexOf('.', rowPath.length - 2) + 1);
    return this.any(s, ({ p, sel }) => p.leaf.kind === 'object' && (sel.tables.some((t) => t.prefix === table) || selects(sel, rowPath)));
  }

  /** Event `name` (with its `!`) or command `name` (with its `()`) of the object `objPath`. */
  occurrence(s: Subscription, objPath: string, name: string): boolean {
    const kind = name.endsWith('!') ? 'event' : 'command';
    const bare = name.replace(/(!|\(\))$/, '');
    return this.any(s, ({ p, sel }) =>
      p.leaf.kind === 'object' ? coversPrefix(sel, objPath) : p.leaf.kind === kind && p.leaf.name === bare && selects(sel, objPath),
    );
  }

  /** The rows an ObjectDeletion subscription selects now. */
  deletionSet(s: Subscription): Set<string> {
    const out = new Set<string>();
    for (const ref of s.refs) {
      const r = this.resolve(ref, s);
      if (r?.p.leaf.kind === 'object') for (const row of selectedRows(r.sel)) out.add(row.path);
    }
    return out;
  }

  /** The live parameters the ValueChange subscriptions `subs` watch (see sampler.ts for which). */
  watched(subs: readonly Subscription[]): Map<string, Watched> {
    const out = new Map<string, { inst: Watched['inst']; param: Watched['param']; subs: Subscription[] }>();
    const add = (inst: Watched['inst'], param: Watched['param'], s: Subscription): void => {
      const key = inst.path + param.def.name;
      const w = out.get(key) ?? { inst, param, subs: [] };
      if (!w.subs.includes(s)) w.subs.push(s);
      out.set(key, w);
    };
    for (const s of subs) {
      for (const ref of s.refs) {
        const r = this.resolve(ref, s);
        if (!r) continue;
        const leaf = r.p.leaf;
        if (leaf.kind === 'param') {
          for (const inst of r.sel.insts) {
            const param = inst.node.params.get(leaf.name);
            if (param && isLive(param) && !param.valueChangeDenied) add(inst, param, s);
          }
        } else if (leaf.kind === 'object') {
          for (const inst of coveredInstances(this.dm, r.sel)) {
            for (const param of inst.node.params.values())
              if (isLive(param) && !param.valueChangeDenied && param.def.activeNotify !== 'canDeny') add(inst, param, s);
          }
        }
      }
    }
    return out;
  }

  private any(s: Subscription, test: (r: Resolved) => boolean): boolean {
    for (const ref of s.refs) {
      const r = this.resolve(ref, s);
      if (r && test(r)) return true;
    }
    return false;
  }

  private resolve(ref: string, s: Subscription): Resolved | undefined {
    // Only a search depends on who asks; other items are shared by every subscription.
    const acc = ref.includes('[') ? this.accessOf?.(s) : undefined;
    const key = acc && !acc.full ? `${s.recipient}\u0000${ref}` : ref;
    let r = this.cache.get(key);
    if (r === undefined) {
      try {
        const p = parsePath(ref);
        r = { p, sel: select(this.dm, p, acc) };
      } catch {
        r = null; // validated when written; an item that no longer parses names nothing
      }
      this.cache.set(key, r);
    }
    return r ?? undefined;
  }
}
