/**
 * User text to an FTS5 query that cannot inject FTS syntax. Every whitespace-separated word becomes a
 * double-quoted string (inner `"` doubled), so `*`, `-`, `^`, `:`, `(`, `NEAR`, `AND`, `OR`, `NOT` and
 * column filters are plain text to FTS5; the tokenizer then splits a word on punctuation as it split the
 * indexed text (`math_addition` → the phrase "math addition"). Each word also matches as a prefix
 * (`"add"*`), and all words must match. Words with no letter or digit are dropped: they could never match.
 */

const MAX_TERMS = 16;
const MAX_TERM_LENGTH = 64;

/** The safe MATCH expression, or null when the text has no searchable word. */
export function toFtsQuery(text: string): string | null {
  const terms = text
    .split(/\s+/u)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .slice(0, MAX_TERMS)
    .map((word) => `"${word.slice(0, MAX_TERM_LENGTH).replaceAll('"', '""')}"*`);
  return terms.length === 0 ? null : terms.join(' ');
}
