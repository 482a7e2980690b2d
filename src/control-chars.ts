/**
 * Control characters in untrusted text (a script's output, the names of files it wrote). On a terminal they
 * are commands, not text: ESC starts sequences that write the clipboard (OSC 52), retitle the window, move
 * the cursor or hide what follows; a lone CR or BS overwrites what was printed; C1 controls (U+0080-U+009F)
 * are the same commands in one character; bidi overrides reorder what is shown (Trojan Source).
 */

/**
 * What escapeControlChars escapes: C0 controls but newline and tab, DEL, C1 controls, and the bidi
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). CR is kept only right before LF.
 */
const UNSAFE_IN_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** What a file name must not hold: the same, plus newline, tab and any CR. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_IN_NAMES = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_IN_NAMES_ALL = new RegExp(UNSAFE_IN_NAMES.source, 'g');

/** `\x1b` for C0 controls and DEL, `\u009b` for C1 controls and bidi characters. */
function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character shown escaped (ESC as the four characters `\x1b`), except newline,
 * tab, and CR right before LF (a CRLF line end moves nothing). Everything else, UTF-8 included, is kept.
 */
export function escapeControlChars(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, escapeChar);
}

/** True when a file name holds a control character (newline and tab included) or a bidi override. */
export function hasControlChars(name: string): boolean {
  return UNSAFE_IN_NAMES.test(name);
}

/** A name with every control character (newline and tab included) shown escaped, for reports. */
export function escapeName(name: string): string {
  return name.replace(UNSAFE_IN_NAMES_ALL, escapeChar);
}
