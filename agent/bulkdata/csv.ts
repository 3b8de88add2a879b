/**
 * CSV reports (TR-369 Annex A, "Encoding of CSV Bulk Data", R-BULK.12/13; USP-NOTES §16). The
 * header row is always present; every row ends with the RowSeparator. Retained failed reports
 * come first, then the current one, with no repeated header.
 * - ParameterPerRow: `[ReportTimestamp,]ParameterName,ParameterValue,ParameterType`, one row per
 *   parameter (ParameterType is the TR-106 base type).
 * - ParameterPerColumn: `[ReportTimestamp,]<name>,<name>...`, one row per report; the columns are
 *   every name of every report in first-seen order (a report without one leaves it empty).
 * A field holding the field or row separator, the escape character, CR or LF is enclosed in the
 * EscapeCharacter with inner escape characters doubled (RFC 4180 with EscapeCharacter for `"`);
 * with an empty EscapeCharacter fields are written as they are.
 */
import type { Collected } from './collect.js';
import type { CsvOptions } from './profile.js';
import { timestampValue } from './timestamp.js';

export const CSV_CONTENT_TYPE = 'text/csv; charset=UTF-8; header=present';

function escaper(o: CsvOptions): (field: string) => string {
  const e = o.escape;
  if (e === '') return (f) => f;
  return (f) => {
    if (!(f.includes(o.fieldSeparator) || f.includes(o.rowSeparator) || f.includes(e) || f.includes('\r') || f.includes('\n'))) return f;
    return e + f.split(e).join(e + e) + e;
  };
}

/** Encodes `reports` (oldest first) as one CSV Bulk Data body. */
export function encodeCsv(reports: readonly Collected[], o: CsvOptions): string {
  const esc = escaper(o);
  const rows: string[][] = [];
  const stamp = (c: Collected): string[] => (o.timestamp === 'None' ? [] : [String(timestampValue(c.atMs, o.timestamp))]);
  const tsHead = o.timestamp === 'None' ? [] : ['ReportTimestamp'];
  if (o.format === 'ParameterPerRow') {
    rows.push([...tsHead, 'ParameterName', 'ParameterValue', 'ParameterType']);
    for (const c of reports) for (const i of c.items) rows.push([...stamp(c), i.name, i.value, i.type]);
  } else {
    const columns = new Map<string, number>();
    for (const c of reports) for (const i of c.items) if (!columns.has(i.name)) columns.set(i.name, columns.size);
    rows.push([...tsHead, ...columns.keys()]);
    for (const c of reports) {
      const values = new Array<string>(columns.size).fill('');
      for (const i of c.items) values[columns.get(i.name) as number] = i.value;
      rows.push([...stamp(c), ...values]);
    }
  }
  return rows.map((r) => r.map(esc).join(o.fieldSeparator) + o.rowSeparator).join('');
}
