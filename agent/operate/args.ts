/**
 * Operate input arguments against the command's schema (TR-369 §The Operate Message):
 * a missing mandatory argument or a value that is not of the argument's type is 7027 and the
 * command does not run (R-OPR.5, TP-469 1.100); unknown arguments are ignored (R-OPR.6,
 * TP-469 1.91); omitted optional arguments get their data-model default (R-OPR.7, TP-469 1.92).
 * Values are passed on in canonical form (TR-106, as for Set).
 */
import { InvalidCommandArgsError, UspError } from '../../datamodel/errors.js';
import type { ArgDef, ArgListDef } from '../../datamodel/schema/types.js';
import { normalizeValue } from '../../datamodel/types.js';

type Args = Readonly<Record<string, string>>;

/** The arguments the command runs with; throws InvalidCommandArgsError (7027). */
export function checkInputArgs(def: ArgListDef | undefined, given: Args, command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of def?.params ?? []) checkArg(arg, arg.name, given, out, command);
  for (const obj of def?.objects ?? []) {
    if (!obj.path.endsWith('{i}.')) {
      // Single-instance argument object (`AutoRestart.`): checked when any of its arguments is given.
      if (Object.keys(given).some((k) => k.startsWith(obj.path))) for (const arg of obj.params) checkArg(arg, obj.path + arg.name, given, out, command);
      continue;
    }
    const base = obj.path.slice(0, -'{i}.'.length);
    const instances = new Set<string>();
    for (const k of Object.keys(given)) {
      const m = k.startsWith(base) ? /^(\d+)\./.exec(k.slice(base.length)) : null;
      if (m?.[1]) instances.add(m[1]);
    }
    const max = obj.maxEntries === 'unbounded' ? Infinity : (obj.maxEntries ?? Infinity);
    if (instances.size > max) throw new InvalidCommandArgsError(`${command}: at most ${max} ${obj.path} argument objects are allowed, ${instances.size} given`, command);
    for (const n of instances) for (const arg of obj.params) checkArg(arg, `${base}${n}.${arg.name}`, given, out, command);
  }
  return out;
}

function checkArg(arg: ArgDef, name: string, given: Args, out: Record<string, string>, command: string): void {
  const raw = Object.hasOwn(given, name) ? given[name] : undefined;
  if (raw === undefined) {
    if (arg.mandatory) throw new InvalidCommandArgsError(`${command}: the mandatory input argument ${name} is missing`, command);
    if (arg.default) out[name] = arg.default.value;
    return;
  }
  try {
    out[name] = normalizeValue(arg, raw);
  } catch (e) {
    if (!UspError.is(e)) throw e;
    throw new InvalidCommandArgsError(`${command}: input argument ${name}: ${e.message}`, command);
  }
}
