/**
 * Where the `#include` of the runtime goes without moving a line. A directive needs a line of its own, so
 * the include takes an existing line at file scope before the first instrumented function that holds no
 * code: a blank line (the include replaces nothing), or a line whose only content is a comment starting
 * there (the include goes before it: a comment after a directive is whitespace, even one running on over
 * several lines, as long as nothing but blanks follows its end). Every line then keeps its number, for
 * `__LINE__`, diagnostics, debuggers and sanitizer traces alike. A file with no such line gets two lines
 * at the top, the include and `#line 1`, which gives `__LINE__`, diagnostics and debug info the original
 * numbers back (only a listing of the instrumented file itself is two lines off).
 *
 * The candidates are found during analysis (with the tree) and remembered by source text for the
 * prelude, which gets no tree; without them (another process) a file-start check is used.
 */
import type { SyntaxNode } from '../../../check/parsers.js';

/** Placement candidates by source text (bounded; analysis and prelude run close together). */
const remembered = new Map<string, number | null>();
const LIMIT = 2048;

/** Records the best include position of a file (a string index), or null when only prepending works. */
export function rememberPlacement(source: string, root: SyntaxNode, tops: SyntaxNode[]): void {
  if (tops.length === 0) return;
  const first = Math.min(...tops.map((top) => top.startIndex));
  if (remembered.size >= LIMIT) remembered.clear();
  remembered.set(source, findLine(source, root, first));
}

/** The remembered position for `source`, else the file-start check. */
export function placementFor(source: string): number | null {
  const known = remembered.get(source);
  if (known !== undefined) return known;
  return freeLineAt(source, source.charCodeAt(0) === 0xfeff ? 1 : 0, null) ? bomOffset(source) : null;
}

const bomOffset = (source: string): number => (source.charCodeAt(0) === 0xfeff ? 1 : 0);

function findLine(source: string, root: SyntaxNode, before: number): number | null {
  const items = root.children.filter((child) => child.startIndex < before);
  if (items.some((item) => item.type === 'ERROR' || item.hasError)) return null;
  for (let start = bomOffset(source); start < before;) {
    if (freeLineAt(source, start, items)) return start;
    const next = source.indexOf('\n', start);
    if (next < 0) break;
    start = next + 1;
  }
  return null;
}

/**
 * Whether the line at `start` holds only blanks and comments that start on it (and after the last comment's
 * end only blanks), lies outside every top-level item but comments, and is not a continued line.
 */
function freeLineAt(source: string, start: number, items: SyntaxNode[] | null): boolean {
  if (start > 0 && /\\\r?\n$/.test(source.slice(Math.max(0, start - 3), start))) return false;
  let at = start;
  for (;;) {
    while (source[at] === ' ' || source[at] === '\t' || source[at] === '\f' || source[at] === '\v') at++;
    if (source[at] === '\r' && source[at + 1] === '\n') at++;
    if (at >= source.length || source[at] === '\n') break;
    if (source.startsWith('//', at)) {
      const end = source.indexOf('\n', at);
      const text = source.slice(at, end < 0 ? source.length : end).replace(/\r$/, '');
      if (text.endsWith('\\')) return false;
      at = end < 0 ? source.length : end;
      break;
    }
    if (source.startsWith('/*', at)) {
      const end = source.indexOf('*/', at + 2);
      if (end < 0) return false;
      at = end + 2;
      continue;
    }
    return false;
  }
  if (items === null) return true;
  const lineEnd = at;
  return !items.some((item) =>
    item.type === 'comment'
      ? item.startIndex < start && item.endIndex > start // the line lies inside a comment
      : item.startIndex < lineEnd && item.endIndex > start,
  );
}
