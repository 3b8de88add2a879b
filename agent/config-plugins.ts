/**
 * `plugins` in the config file: vendor modules the agent loads at start-up (agent/plugins.ts).
 * Each entry is a path to an ES module, relative to the config file.
 */

/** Parses `plugins` (a list of module paths) into absolute paths; problems are added with their location. */
export function parsePlugins(raw: unknown, problems: string[], abs: (p: string) => string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push('plugins: must be a list of module paths, e.g. ["./plugins/widget.js"]');
    return [];
  }
  const out: string[] = [];
  raw.forEach((p: unknown, i) => {
    if (typeof p !== 'string' || p.trim() === '') problems.push(`plugins.${i}: must be a non-empty path to an ES module`);
    else out.push(abs(p));
  });
  return out;
}
