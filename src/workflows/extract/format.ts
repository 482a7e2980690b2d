/**
 * The console formatter (the seed's ConsoleOutputFormatter): a header with the summary, then each source in
 * input order with its metadata and its records as a table (columns in order of first appearance, long
 * values cut with `…`, at most `maxRows` rows), then the errors, each with what to do. Everything a script
 * or a sources file chose (values, keys, URLs, messages) is shown with control characters escaped
 * (control-chars.ts), so the text is safe on a terminal whatever was extracted.
 */
import { escapeControlChars, escapeName } from '../../control-chars.js';
import { ellipsize, padTo, plural, textWidth } from '../../text.js';
import type { ExtractionResult, SourceMetadata, SourceResult } from './result.js';

export interface FormatOpts {
  /** Rows shown per source (default 20); the rest are counted. */
  maxRows?: number;
  /** Characters shown per value (default 40). */
  maxCellChars?: number;
  /** Columns shown per table (default 8); the rest are counted. */
  maxColumns?: number;
}

const DEFAULTS: Required<FormatOpts> = { maxRows: 20, maxCellChars: 40, maxColumns: 8 };

/** `512 B`, `1.5 kB`, `2.3 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** One line of text a script or a file chose: control characters, newlines and tabs escaped. */
const oneLine = (text: string): string => escapeName(text);

/** A value as a table cell: strings as they are, everything else as JSON; one line, cut to `width`. */
function cell(value: unknown, width: number): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return ellipsize(oneLine(text), width);
}

/** `ok · 3 records · 120 ms · 1 request · 2.1 kB in · 310 B out · HTTP 200, 404` */
export function formatMetadata(result: SourceResult): string {
  const m: SourceMetadata = result.metadata;
  const parts = [
    result.ok ? 'ok' : `failed (${result.error?.kind ?? 'runtime'})`,
    plural(m.recordCount, 'record'),
    `${m.durationMs} ms`,
    plural(m.requests, 'request'),
    `${formatBytes(m.bytesIn)} in`,
    `${formatBytes(m.bytesOut)} out`,
  ];
  if (m.statuses.length > 0) parts.push(`HTTP ${m.statuses.join(', ')}`);
  if (m.refused.length > 0) parts.push(`${m.refused.length} refused`);
  return parts.join(' · ');
}

/** The records as an aligned table (header, rule, rows), or a note when there are none. */
export function formatRecordTable(
  records: readonly Record<string, unknown>[],
  opts: FormatOpts = {},
): string[] {
  const { maxRows, maxCellChars, maxColumns } = { ...DEFAULTS, ...opts };
  if (records.length === 0) return ['(no records)'];
  const keys: string[] = [];
  for (const record of records)
    for (const key of Object.keys(record)) if (!keys.includes(key)) keys.push(key);
  const columns = keys.slice(0, maxColumns);
  const shown = records.slice(0, maxRows);
  const header = columns.map((key) => ellipsize(oneLine(key), maxCellChars));
  const rows = shown.map((record) =>
    columns.map((key) => (key in record ? cell(record[key], maxCellChars) : '')),
  );
  const widths = columns.map((_, at) =>
    Math.max(textWidth(header[at] ?? ''), ...rows.map((row) => textWidth(row[at] ?? ''))),
  );
  const line = (values: string[]): string =>
    values
      .map((value, at) => padTo(value, widths[at] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  const notes: string[] = [];
  if (records.length > shown.length) notes.push(`${records.length - shown.length} more records`);
  if (keys.length > columns.length) notes.push(`${keys.length - columns.length} more columns`);
  if (notes.length > 0) lines.push(`… ${notes.join(', ')} (the JSON output has them all)`);
  return lines;
}

/** The summary header: counts, records, time, and the sources per outcome. */
export function formatHeader(result: ExtractionResult): string[] {
  const { summary } = result;
  const kinds = Object.entries(summary.byKind)
    .sort(([a, m = 0], [b, n = 0]) => Number(b === 'ok') - Number(a === 'ok') || n - m || a.localeCompare(b))
    .map(([kind, count]) => `${kind} ${count}`);
  return [
    `Extraction: ${plural(summary.sources, 'source')} · ${summary.succeeded} ok · ${summary.failed} failed · ` +
      `${plural(summary.records, 'record')} · ${summary.durationMs} ms (${result.language})`,
    `  ${kinds.join(' · ')}`,
  ];
}

/** Each failed source: its URL, kind and message, and what to do. */
export function formatErrors(result: ExtractionResult): string[] {
  const failed = result.sources.filter((source) => !source.ok);
  if (failed.length === 0) return [];
  const lines = [`Errors (${failed.length}):`];
  for (const source of failed) {
    const error = source.error;
    lines.push(`  [${source.index}] ${oneLine(source.url)}`);
    lines.push(`      ${error?.kind ?? 'runtime'}: ${escapeControlChars(error?.message ?? 'failed')}`);
    if (error?.hint) lines.push(`      what to do: ${escapeControlChars(error.hint)}`);
  }
  return lines;
}

/** The whole report, ending with a newline. */
export function formatExtraction(result: ExtractionResult, opts: FormatOpts = {}): string {
  const lines = [...formatHeader(result), ''];
  for (const source of result.sources) {
    lines.push(`── [${source.index}] ${oneLine(source.url)}`);
    lines.push(`   ${formatMetadata(source)}`);
    if (source.ok) lines.push(...formatRecordTable(source.records, opts).map((line) => `   ${line}`));
    lines.push('');
  }
  lines.push(...formatErrors(result));
  while (lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}
