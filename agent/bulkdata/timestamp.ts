/**
 * Report timestamps (TR-181 JSONEncoding.ReportTimestamp, CSVEncoding.RowTimestamp): Unix-Epoch
 * is "milliseconds since Jan 1, 1970 UTC" as the TR-181 2.19 enumeration defines it, ISO-8601 a
 * UTC date and time (fractional seconds only when there are any).
 */
export type TimestampOption = 'Unix-Epoch' | 'ISO-8601' | 'None';

export function timestampValue(ms: number, opt: Exclude<TimestampOption, 'None'>): number | string {
  return opt === 'Unix-Epoch' ? Math.floor(ms) : new Date(ms).toISOString().replace('.000Z', 'Z');
}
