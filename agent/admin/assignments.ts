/** Parsing of `Name=value` CLI arguments, where the name may hold `[Key=="v"]` searches. */

/** Splits at the first `=` outside brackets and quotes: `A.[B=="x"].C=1` → [`A.[B=="x"].C`, `1`]. */
export function splitAssignment(arg: string): [string, string] {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '[') depth++;
    else if (!quoted && c === ']') depth--;
    else if (c === '=' && depth === 0 && !quoted) {
      if (i === 0) break;
      return [arg.slice(0, i), arg.slice(i + 1)];
    }
  }
  throw new Error(`'${arg}' is not Name=value`);
}
