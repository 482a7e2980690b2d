/**
 * Step 6, rebuild: a file's edits (each function's, moved to file offsets, plus the prelude's) applied
 * from the bottom up by byte range. What comes back from the sandbox is held to the edits it was asked
 * for (a script can write nothing else); edits may not land inside a comment; inserted newlines follow the
 * file's own line endings. The result carries the inserted ranges of the new file for the manifest.
 */
import type { Edit, Span } from './model.js';

/** A range of the instrumented file that instrumentation inserted, and the original bytes it replaced. */
export interface InsertedRange {
  /** Byte offset in the instrumented file. */
  at: number;
  /** Bytes inserted there. */
  length: number;
  /** The original text the edit deleted ('' for a pure insertion). */
  deleted: string;
}

export interface RebuildResult {
  text: string;
  ranges: InsertedRange[];
}

/** '\r\n' when most of the file's line breaks are CRLF, else '\n'. */
export function lineEnding(source: string): '\n' | '\r\n' {
  const all = source.split('\n').length - 1;
  const crlf = source.split('\r\n').length - 1;
  return all > 0 && crlf * 2 > all ? '\r\n' : '\n';
}

/** Makes the newlines of an inserted text match the file's line endings. */
export function withLineEnding(text: string, ending: '\n' | '\r\n'): string {
  return ending === '\n' ? text : text.replace(/\r?\n/g, '\r\n');
}

/** Applies edits (bytes of `data`) from the bottom up; ties keep list order. Throws on overlap. */
export function applyEdits(data: Buffer, edits: readonly Edit[]): RebuildResult {
  const order = edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => a.edit.at - b.edit.at || a.index - b.index);
  const pieces: Buffer[] = [];
  const ranges: InsertedRange[] = [];
  let cursor = 0;
  let shift = 0;
  for (const { edit } of order) {
    if (edit.at < cursor) throw new Error(`overlapping edits at byte ${edit.at}`);
    if (edit.at + edit.delete > data.length) throw new Error(`an edit at byte ${edit.at} runs past the end`);
    pieces.push(data.subarray(cursor, edit.at));
    const inserted = Buffer.from(edit.insert, 'utf8');
    pieces.push(inserted);
    const deleted = data.subarray(edit.at, edit.at + edit.delete).toString('utf8');
    if (inserted.length > 0 || edit.delete > 0)
      ranges.push({ at: edit.at + shift, length: inserted.length, deleted });
    shift += inserted.length - edit.delete;
    cursor = edit.at + edit.delete;
  }
  pieces.push(data.subarray(cursor));
  return { text: Buffer.concat(pieces).toString('utf8'), ranges };
}

/** A comment of the file; a line comment also owns its end (text inserted there would be commented out). */
export interface CommentSpan {
  span: Span;
  line: boolean;
}

/** The first edit that lands strictly inside a comment (or deletes part of one), or undefined. */
export function editInComment(edits: readonly Edit[], comments: readonly CommentSpan[]): Edit | undefined {
  return edits.find((edit) =>
    comments.some(({ span: { start, end }, line }) => {
      const from = edit.at;
      const to = edit.at + edit.delete;
      const inside = from > start.byte && (from < end.byte || (line && from === end.byte));
      const cuts = edit.delete > 0 && from < end.byte && to > start.byte;
      return inside || cuts;
    }),
  );
}

/**
 * Whether the sandbox's text for a function is exactly its edits applied (the check that makes a script's
 * output trustworthy: nothing but the requested bytes may change).
 */
export function matchesEdits(functionText: string, edits: readonly Edit[], result: string): boolean {
  try {
    return applyEdits(Buffer.from(functionText, 'utf8'), edits).text === result;
  } catch {
    return false;
  }
}

/** The whole file: function edits (already at file offsets) and prelude edits, bottom up. */
export function rebuildFile(original: Buffer, edits: readonly Edit[]): RebuildResult {
  return applyEdits(original, edits);
}
