/**
 * Literal encoders: the only way a template parameter reaches generated code. Each turns a JSON-like value
 * (string, finite number, boolean, null, arrays, plain objects) into source text of the target language
 * that evaluates to exactly that value, whatever characters it holds. Anything else is refused.
 */
import { InvalidOptionsError } from '../errors.js';

/** Nunjucks filter names of the literal encoders; every `{{ }}` in a template must end with one. */
export const LITERAL_FILTERS = ['py', 'js', 'sh'] as const;
export type LiteralFilter = (typeof LITERAL_FILTERS)[number];

function refuse(filter: LiteralFilter, why: string): never {
  const issue = `the ${filter} filter ${why}`;
  throw new InvalidOptionsError(issue, [issue]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Parameters are never undefined (left-out ones are null): undefined means a name the template never declared. */
function defined(filter: LiteralFilter, value: unknown): void {
  if (value === undefined) {
    refuse(filter, 'got an undefined value: is the name a declared parameter (or a loop or set variable)?');
  }
}

function finite(filter: LiteralFilter, value: number): number {
  if (!Number.isFinite(value)) refuse(filter, `cannot encode ${value}: only finite numbers are literals`);
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? (value?.constructor?.name ?? 'an object') : `a ${typeof value}`;
}

/** `\xhh`, `\uhhhh` or `\Uhhhhhhhh` for one code point. */
function pyEscape(codePoint: number): string {
  if (codePoint <= 0xff) return `\\x${codePoint.toString(16).padStart(2, '0')}`;
  if (codePoint <= 0xffff) return `\\u${codePoint.toString(16).padStart(4, '0')}`;
  return `\\U${codePoint.toString(16).padStart(8, '0')}`;
}

/** A Python str literal in single quotes, pure printable ASCII: everything else is escaped. */
function pyString(text: string): string {
  let out = "'";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\' || char === "'") out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else out += pyEscape(code);
  }
  return `${out}'`;
}

function pyNumber(value: number): string {
  finite('py', value);
  if (Object.is(value, -0)) return '-0.0';
  // String(n) is a valid Python literal for every finite double: 1e+21, 1e-7, 0.1, -5.
  return String(value);
}

/** A Python literal: str, int/float, True/False, None, list, dict. */
export function pyLiteral(value: unknown): string {
  defined('py', value);
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null) return 'None';
  if (Array.isArray(value)) return `[${value.map((item: unknown) => pyLiteral(item)).join(', ')}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => `${pyString(key)}: ${pyLiteral(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return refuse('py', `cannot encode ${describe(value)}`);
}

/** Characters JSON leaves raw that must not appear raw in JS source (or inside an HTML <script>). */
const JS_UNSAFE = /[<>&\u2028\u2029]/g;

function jsCheck(value: unknown): void {
  if (typeof value === 'number') finite('js', value);
  else if (Array.isArray(value)) value.forEach((item: unknown) => jsCheck(item));
  else if (isPlainObject(value)) Object.values(value).forEach((item) => jsCheck(item));
  else if (!(typeof value === 'string' || typeof value === 'boolean' || value === null)) {
    refuse('js', `cannot encode ${describe(value)}`);
  }
}

/**
 * A JavaScript (and TypeScript) literal: JSON, with `<`, `>`, `&`, U+2028 and U+2029 written as \u escapes
 * so `</script>`, `<!--` and line separators never appear raw.
 */
export function jsLiteral(value: unknown): string {
  defined('js', value);
  jsCheck(value);
  const json = JSON.stringify(value);
  return json.replace(JS_UNSAFE, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** Code units no bash word can hold: NUL (strings end there) and lone surrogates (not encodable as UTF-8). */
const SH_UNREPRESENTABLE = /[\0\uD800-\uDFFF]/u;

/** ASCII control characters: written as escapes in `$'...'` rather than raw. */
const SH_CONTROL = /(?=\p{Cc})\p{ASCII}/u;
const SH_ANSI_C = /(?=\p{Cc})\p{ASCII}|[\\']/gu;
const SH_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\t': '\\t',
  '\r': '\\r',
};

function ansiCEscape(char: string): string {
  return SH_ESCAPES[char] ?? `\\x${(char.codePointAt(0) ?? 0).toString(16).padStart(2, '0')}`;
}

function shWord(value: unknown): string {
  if (typeof value === 'string') {
    if (SH_UNREPRESENTABLE.test(value)) {
      refuse('sh', 'cannot encode a NUL character or a lone surrogate: bash strings cannot hold them');
    }
    if (!SH_CONTROL.test(value)) return `'${value.replaceAll("'", "'\\''")}'`;
    // ANSI-C quoting, so the literal stays on one line (a raw newline would end a `#` comment around it).
    return `$'${value.replace(SH_ANSI_C, ansiCEscape)}'`;
  }
  // Digits, '.', '-', '+' and 'e' only: a plain word, usable in $(( )) too.
  if (typeof value === 'number') return String(finite('sh', value));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return "''";
  return refuse('sh', `cannot encode ${describe(value)} as one word`);
}

/**
 * A bash literal: a single-quoted word (`'` written as `'\''`), or an ANSI-C quoted one (`$'a\nb'`) when
 * the text holds control characters, so no literal spans lines; numbers and booleans as plain words;
 * null as ''; an array as a bash array literal `('a' 'b')`, for `name={{ list | sh }}`.
 */
export function shLiteral(value: unknown): string {
  defined('sh', value);
  if (Array.isArray(value)) return `(${value.map((item: unknown) => shWord(item)).join(' ')})`;
  return shWord(value);
}

export const LITERAL_ENCODERS: Record<LiteralFilter, (value: unknown) => string> = {
  py: pyLiteral,
  js: jsLiteral,
  sh: shLiteral,
};
