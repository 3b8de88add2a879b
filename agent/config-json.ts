/**
 * Where a JSON text is broken, as a line and column a person can find. V8 gives a position for
 * some syntax errors (`... at position 45`) and none for others (`Unexpected token '}', "..." is
 * not valid JSON`, `Unexpected end of JSON input`); for those the offset is found by parsing
 * ever longer prefixes (a binary search: the first prefix that fails before its own end ends at
 * the bad character).
 */

const POSITION = / (?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/;

/** True when parsing `text` fails at a character before its end, not merely because the text stops early. */
function failsBeforeEnd(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch (e) {
    const message = (e as Error).message;
    const m = POSITION.exec(message);
    if (m) return Number(m[1]) < text.length;
    return !/end of JSON input/.test(message);
  }
}

function errorOffset(text: string, message: string): number {
  const m = POSITION.exec(message);
  if (m) return Number(m[1]);
  if (/end of JSON input/.test(message)) return text.length;
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsBeforeEnd(text.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** JSON.parse's message with the place given as `line L, column C` (1-based) instead of an offset or the whole text. */
export function jsonErrorWhere(text: string, message: string): string {
  const offset = Math.max(0, Math.min(errorOffset(text, message), text.length));
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  // Drop V8's echo of the text (`, "{...}" is not valid JSON`) and its own position.
  const what = message
    .replace(POSITION, '')
    .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/ of JSON input$/, ' of the file');
  return `${what} at line ${line}, column ${column}`;
}
