/**
 * What a script prints, read as records: one JSON array of objects, one JSON object, or one JSON object per
 * line (JSON lines; blank lines skipped). Anything else is a problem saying what was wrong and where (line
 * and column, and an excerpt of what was printed), so the script's author knows what to change.
 */

import { escapeName } from '../../control-chars.js';
import { jsonErrorOffset } from './json-offset.js';

/** One record: a JSON object as the script printed it. */
export type ExtractRecord = Record<string, unknown>;

export type RecordsParse = { ok: true; records: ExtractRecord[] } | { ok: false; message: string };

/** Longest excerpt of the output a message quotes. */
const EXCERPT_CHARS = 60;

const isRecord = (value: unknown): value is ExtractRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a JSON value is, in words: `a number`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `text` JSON-quoted and cut for a message (control characters come out escaped). */
function excerpt(text: string): string {
  const cut = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
  return JSON.stringify(cut);
}

/** 1-based line and column of `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Where `text` stops being JSON, as ` at line 3 column 7` (and what is there), or '' when it is JSON. */
function whereParseFailed(text: string): string {
  const at = jsonErrorOffset(text);
  if (at === null) return '';
  const { line, column } = position(text, at);
  const found = at < text.length ? `, at ${excerpt(text.slice(at, at + 20))}` : ', where the output ends';
  return ` at line ${line} column ${column}${found}`;
}

/** JSON.parse's message without the input it quotes (V8 quotes all of it). */
function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return escapeName(
    message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, ''),
  );
}

const HOW = 'print a JSON array of objects, or one JSON object per line, on stdout (diagnostics to stderr)';

/** The records in `stdout`; see the module comment for what is accepted. */
export function parseRecords(stdout: string): RecordsParse {
  const text = stdout.trim();
  if (text === '') return { ok: false, message: `the script printed nothing; ${HOW} ([] for no records)` };
  if (text.startsWith('[')) return parseArray(text);
  // One object printed over several lines (pretty-printed) is one record.
  if (text.startsWith('{')) {
    try {
      const whole: unknown = JSON.parse(text);
      if (isRecord(whole)) return { ok: true, records: [whole] };
    } catch {
      // Not one object: read it as JSON lines below.
    }
  }
  return parseLines(stdout);
}

function parseArray(text: string): RecordsParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      message:
        `the output starts like a JSON array but is not valid JSON${whereParseFailed(text)} ` +
        `(${errorText(err)}); ${HOW}`,
    };
  }
  if (!Array.isArray(value)) return { ok: false, message: `the output is not a JSON array; ${HOW}` };
  const bad = value.findIndex((item) => !isRecord(item));
  if (bad >= 0) {
    return {
      ok: false,
      message:
        `item ${bad} of the printed array is ${kindOf(value[bad])}, not an object; ` +
        'print each record as an object, like {"title": "..."}',
    };
  }
  return { ok: true, records: value as ExtractRecord[] };
}

function parseLines(stdout: string): RecordsParse {
  const records: ExtractRecord[] = [];
  const lines = stdout.split('\n');
  for (const [at, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return {
        ok: false,
        message: `line ${at + 1} of the output is not JSON (${errorText(err)}): ${excerpt(line)}; ${HOW}`,
      };
    }
    if (!isRecord(value)) {
      return {
        ok: false,
        message: `line ${at + 1} of the output is ${kindOf(value)}, not an object: ${excerpt(line)}; ${HOW}`,
      };
    }
    records.push(value);
  }
  return { ok: true, records };
}
