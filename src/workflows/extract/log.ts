/**
 * The extraction's lifecycle as structured entries (the seed's logging requirement): `extract.start`,
 * `source.start`, `source.done` (time, records), `source.error` (kind, message), `extract.done` (summary).
 * Entries carry no secrets: URLs are redacted (no credentials, no query), and no page content or records.
 * A face decides where they go; jsonLineLogger writes one JSON object per line (to stderr in the CLI).
 */

export type ExtractLogLevel = 'info' | 'warn' | 'error';
export type ExtractLogEvent =
  | 'extract.start'
  | 'source.start'
  | 'source.done'
  | 'source.error'
  | 'extract.done'
  | 'prompt.page'
  | 'prompt.attempt';

export interface ExtractLogEntry {
  time: string;
  level: ExtractLogLevel;
  event: ExtractLogEvent;
  [field: string]: unknown;
}

export type ExtractLogger = (entry: ExtractLogEntry) => void;

export function logEntry(
  level: ExtractLogLevel,
  event: ExtractLogEvent,
  fields: Record<string, unknown>,
): ExtractLogEntry {
  return { time: new Date().toISOString(), level, event, ...fields };
}

/** A logger writing each entry as one JSON line with `write` (e.g. to stderr). */
export function jsonLineLogger(write: (line: string) => void): ExtractLogger {
  return (entry) => write(`${JSON.stringify(entry)}\n`);
}
