/**
 * String literals: decoding them the way each language does (so `"ch\x69ld_process"` is seen as
 * `child_process`), and classifying constant strings as system paths, `..` traversal or remote URLs.
 */
import { posix } from 'node:path';

/** A string expression folded at check time: `value` when fully constant, else the constant `leading` part. */
export interface Folded {
  value: string | undefined;
  leading: string;
}

export const UNKNOWN: Folded = { value: undefined, leading: '' };

export function constant(value: string): Folded {
  return { value, leading: value };
}

/** `a + b` folded: constant when both are; otherwise the longest constant start. */
export function concat(a: Folded, b: Folded): Folded {
  if (a.value === undefined) return a;
  if (b.value === undefined) return { value: undefined, leading: a.value + b.leading };
  return constant(a.value + b.value);
}

const SYSTEM_DIRS = ['/etc', '/proc', '/sys', '/dev', '/root', '/home', '/boot', '/run', '/var/run'];
const HARMLESS = new Set([
  '/dev/null',
  '/dev/zero',
  '/dev/full',
  '/dev/random',
  '/dev/urandom',
  '/dev/stdin',
  '/dev/stdout',
  '/dev/stderr',
  '/proc/cpuinfo',
  '/proc/meminfo',
  '/proc/self/status',
]);
const HARMLESS_TREES = ['/dev/fd', '/dev/shm'];

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

/**
 * The normalized system path a string names (`/etc/passwd`, `//proc/./1/environ`), or undefined.
 * `complete` is false for the constant start of a computed string (`f"/proc/{pid}/mem"`).
 */
export function systemPath(text: string, complete: boolean): string | undefined {
  if (!text.startsWith('/') || /\s/.test(text)) return undefined;
  const normalized = posix.normalize(text);
  const path = normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
  if (HARMLESS.has(path) || HARMLESS_TREES.some((dir) => under(path, dir))) return undefined;
  // A computed rest: the constant start must already be inside a system directory ("/proc/" + pid).
  const inside = SYSTEM_DIRS.some((dir) => (complete ? under(path, dir) : normalized.startsWith(`${dir}/`)));
  return inside ? path : undefined;
}

/** True for a path-like string with a `..` segment (`../x`, `a/../../b`, `..`). */
export function hasTraversal(text: string): boolean {
  if (/\s/.test(text) || (text !== '..' && !text.includes('/'))) return false;
  return text.split('/').includes('..');
}

/** True when the whole string is a remote URL (so prose mentioning one does not count). */
export function isRemoteUrl(text: string): boolean {
  return /^(?:https?|ftps?|wss?):\/\/\S+$/i.test(text);
}

/**
 * The normalized path when an absolute path is outside the work and temp directories (and is not a
 * harmless device such as /dev/null), else undefined. For the constant start of a computed string, only a
 * complete first directory can be judged (`/etc/` + x is outside, `/` + x is unknown).
 */
export function outsideWorkDirs(text: string, complete: boolean): string | undefined {
  if (!text.startsWith('/') || /\s/.test(text)) return undefined;
  const normalized = posix.normalize(complete ? text : text.slice(0, text.lastIndexOf('/') + 1));
  const path = normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
  if (!complete && path === '/') return undefined;
  if (HARMLESS.has(path) || HARMLESS_TREES.some((dir) => under(path, dir))) return undefined;
  return insideWorkDirs(path) ? undefined : path;
}

/** True when a path is inside the work or temp directory (where chdir is fine). */
export function insideWorkDirs(path: string): boolean {
  const normalized = posix.normalize(path);
  return under(normalized, '/work') || under(normalized, '/tmp');
}

// ---------------------------------------------------------------- escapes

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  a: '\x07',
  '0': '\0',
};

/** `\N{...}` names for the characters that matter to names and paths; others become U+FFFD. */
function unicodeName(name: string): string {
  const letter = /^LATIN (SMALL|CAPITAL) LETTER ([A-Z])$/.exec(name.toUpperCase());
  if (letter?.[2]) return letter[1] === 'SMALL' ? letter[2].toLowerCase() : letter[2];
  const digits = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];
  const digit = /^DIGIT (\w+)$/.exec(name.toUpperCase());
  if (digit?.[1] && digits.includes(digit[1])) return String(digits.indexOf(digit[1]));
  const named: Record<string, string> = { 'LOW LINE': '_', 'FULL STOP': '.', SOLIDUS: '/', SPACE: ' ' };
  return named[name.toUpperCase()] ?? '\ufffd';
}

function codePoint(hex: string): string {
  const value = parseInt(hex, 16);
  return Number.isFinite(value) && value <= 0x10ffff ? String.fromCodePoint(value) : '\ufffd';
}

const PY_ESCAPE =
  /\\(?:\n|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]*)\}|([0-7]{1,3})|(.))/gs;

/** Decodes the escapes of a (non-raw) Python string body. */
export function decodePython(body: string): string {
  return body.replace(
    PY_ESCAPE,
    (whole, x?: string, u?: string, U?: string, n?: string, o?: string, c?: string) => {
      if (whole === '\\\n') return '';
      const hex = x ?? u ?? U;
      if (hex !== undefined) return codePoint(hex);
      if (n !== undefined) return unicodeName(n);
      if (o !== undefined) return String.fromCharCode(parseInt(o, 8));
      if (c === undefined) return whole;
      if (c === '\\' || c === "'" || c === '"') return c;
      return SIMPLE_ESCAPES[c] ?? whole;
    },
  );
}

const JS_ESCAPE =
  /\\(?:\r\n|[\n\r\u2028\u2029]|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]+)\}|(.))/gs;

/** Decodes the escapes of a JavaScript string or template body. */
export function decodeJavaScript(body: string): string {
  return body.replace(JS_ESCAPE, (whole, x?: string, u?: string, braced?: string, c?: string) => {
    const hex = x ?? u ?? braced;
    if (hex !== undefined) return codePoint(hex);
    if (c === undefined) return ''; // line continuation
    return SIMPLE_ESCAPES[c] ?? c;
  });
}
