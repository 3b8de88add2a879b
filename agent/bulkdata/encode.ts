/** Picks the profile's encoder and the HTTP metadata that goes with it (R-BULK.7/8/11). */
import type { Collected } from './collect.js';
import { CSV_CONTENT_TYPE, encodeCsv } from './csv.js';
import { encodeJson, JSON_CONTENT_TYPE } from './json.js';
import type { Profile } from './profile.js';

export interface EncodedReport {
  readonly body: string;
  /** Content-Type with media type and charset. */
  readonly contentType: string;
  /** The ReportFormat token for the BBF-Report-Format header. */
  readonly reportFormat: string;
}

/** Encodes `reports` (oldest first) with the profile's EncodingType (JSON or CSV). */
export function encodeReports(p: Profile, reports: readonly Collected[]): EncodedReport {
  if (p.encoding === 'CSV') return { body: encodeCsv(reports, p.csv), contentType: CSV_CONTENT_TYPE, reportFormat: p.csv.format };
  return { body: encodeJson(reports, p.json), contentType: JSON_CONTENT_TYPE, reportFormat: p.json.format };
}
