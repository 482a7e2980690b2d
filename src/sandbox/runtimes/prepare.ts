/**
 * Host-side preparation of JavaScript and TypeScript before the script starts with Node in the sandbox:
 * TypeScript is type-stripped with amaro (swc), then acorn parses the JavaScript to report syntax errors
 * early and to choose CommonJS (main.cjs) or an ES module (main.mjs). Nothing here runs user code.
 */
import { createRequire } from 'node:module';
import { parse, type Options, type Program } from 'acorn';
import type { RunError } from '../result-types.js';

export interface PreparedSource {
  code: string;
  fileName: 'main.cjs' | 'main.mjs';
}
export type PrepareOutcome = { ok: true; prepared: PreparedSource } | { ok: false; error: RunError };

const BASE = { ecmaVersion: 'latest', allowHashBang: true } as const;
const SCRIPT: Options = { ...BASE, sourceType: 'script', allowReturnOutsideFunction: true };
const MODULE: Options = { ...BASE, sourceType: 'module', allowAwaitOutsideFunction: true };

/** `pos` is a UTF-16 offset into the parsed code, or -1 when the parser gave none. */
type Parsed = { ok: true; ast: Program } | { ok: false; message: string; pos: number };
/** 1-based line and column (column in UTF-16 code units, like acorn and V8). */
type Position = { line: number; column: number };

export function prepareSource(kind: 'javascript' | 'typescript', source: string): PrepareOutcome {
  if (kind === 'javascript') return prepareJavaScript(source, source);
  const stripped = stripTypes(source);
  if (!stripped.ok) return stripped;
  return prepareJavaScript(stripped.code, source, stripped.mappings);
}

/** `mappings` is set when `code` came from swc's transform mode: error positions go through it. */
function prepareJavaScript(code: string, original: string, mappings?: string): PrepareOutcome {
  const script = tryParse(code, SCRIPT);
  if (script.ok) {
    // `await (x)` or `await` + newline parse as a script but are meant as top-level await.
    const esm = code.includes('await') && awaitIdentifierAtTopLevel(script.ast) && tryParse(code, MODULE).ok;
    return { ok: true, prepared: { code, fileName: esm ? 'main.mjs' : 'main.cjs' } };
  }
  const module = tryParse(code, MODULE);
  if (module.ok) return { ok: true, prepared: { code, fileName: 'main.mjs' } };
  const best = moduleIntended(code, script) || module.pos > script.pos ? module : script;
  const message = best.message.replace(/\s*\(\d+:\d+\)$/, '');
  if (best.pos < 0) return { ok: false, error: { kind: 'syntax', message: `SyntaxError: ${message}` } };
  const at = positionAt(code, best.pos);
  return syntaxError(message, mappings === undefined ? at : mapToOriginal(mappings, original, at));
}

function tryParse(code: string, options: Options): Parsed {
  try {
    return { ok: true, ast: parse(code, options) };
  } catch (err) {
    const pos = (err as { pos?: unknown } | null)?.pos;
    if (err instanceof SyntaxError && typeof pos === 'number')
      return { ok: false, message: err.message, pos };
    // In practice a RangeError from absurdly deep nesting; never let user code make us throw.
    return { ok: false, message: 'the source is too deeply nested to parse', pos: -1 };
  }
}

/** The script parse failed on import/export, import.meta or top-level await: the author meant a module. */
function moduleIntended(code: string, script: { message: string; pos: number }): boolean {
  if (/sourceType: module|import\.meta/.test(script.message)) return true;
  return (
    /^await\b/.test(code.slice(script.pos, script.pos + 6)) || /\bawait\s*$/.test(code.slice(0, script.pos))
  );
}

/** True when `await` is used as an identifier outside any function (not as a property name or label). */
function awaitIdentifierAtTopLevel(ast: Program): boolean {
  try {
    return hasAwaitIdentifier(ast);
  } catch {
    return false; // stack overflow on a very deep tree: keep the script reading
  }
}

function hasAwaitIdentifier(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasAwaitIdentifier);
  if (typeof node !== 'object' || node === null) return false;
  const n = node as Record<string, unknown>;
  switch (n.type) {
    case 'Identifier':
      return n.name === 'await';
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return false;
  }
  return Object.entries(n).some(([key, value]) => {
    if (!n.computed && (key === 'property' || key === 'key')) return false;
    return key !== 'label' && typeof value === 'object' && hasAwaitIdentifier(value);
  });
}

// ---------------------------------------------------------------- TypeScript

/** What swc-wasm throws: a plain object, not an Error. Line 1-based, column 0-based display width. */
type SwcError = { code: string; message: string; startLine: number; startColumn: number };
type AmaroOptions = { mode: 'strip-only' | 'transform'; sourceMap?: boolean };
type Amaro = { transformSync(source: string, options: AmaroOptions): { code: string; map?: string } };
type Stripped = { ok: true; code: string; mappings?: string } | { ok: false; error: RunError };

const requireHere = createRequire(import.meta.url);
let amaro: Amaro | undefined;

/** Loaded on first use: compiling the wasm takes ~100 ms; a small file then takes ~0.1 ms. */
function transform(source: string, options: AmaroOptions): { code: string; map?: string } {
  amaro ??= requireHere('amaro') as Amaro;
  try {
    return amaro.transformSync(source, options);
  } catch (err) {
    if (!isSwcError(err)) {
      // A wasm trap (e.g. stack overflow at ~300 nested brackets) leaves the instance unusable
      // ("memory access out of bounds" forever after): drop it so the next call gets a fresh one.
      delete requireHere.cache[requireHere.resolve('amaro')];
      amaro = undefined;
    }
    throw err;
  }
}

function isSwcError(err: unknown): err is SwcError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<Record<keyof SwcError, unknown>>;
  const numbers = typeof e.startLine === 'number' && typeof e.startColumn === 'number';
  return typeof e.code === 'string' && typeof e.message === 'string' && numbers;
}

function stripTypes(source: string): Stripped {
  try {
    // strip-only blanks types out with same-length whitespace, so positions stay valid.
    return { ok: true, code: transform(source, { mode: 'strip-only' }).code };
  } catch (err) {
    if (!isSwcError(err) || err.code !== 'UnsupportedSyntax') return swcFailure(source, err);
  }
  try {
    // enum, namespace, parameter properties, `import x = require()`, `<T>x` need code generation.
    const { code, map } = transform(source, { mode: 'transform', sourceMap: true });
    const mappings = (JSON.parse(map ?? '{}') as { mappings?: string }).mappings ?? '';
    return { ok: true, code, mappings };
  } catch (err) {
    return swcFailure(source, err);
  }
}

function swcFailure(source: string, err: unknown): { ok: false; error: RunError } {
  if (!isSwcError(err)) {
    const detail = err instanceof Error ? (err.message.split('\n')[0] ?? '') : 'unknown error';
    const message = `TypeScript could not be compiled (is it very deeply nested?): ${detail}`;
    return { ok: false, error: { kind: 'syntax', message } };
  }
  const start = lineStart(source, err.startLine);
  return syntaxError(err.message, positionAt(source, start + utf16Columns(source, start, err.startColumn)));
}

// ---------------------------------------------------------------- positions

function syntaxError(message: string, at: Position): { ok: false; error: RunError } {
  const text = `SyntaxError: ${message} (line ${at.line}, column ${at.column})`;
  return { ok: false, error: { kind: 'syntax', message: text, line: at.line, column: at.column } };
}

/** JavaScript line/column of a UTF-16 offset; line terminators as in ECMAScript. */
function positionAt(text: string, offset: number): Position {
  const re = /\r\n?|[\n\u2028\u2029]/g;
  let line = 1;
  let start = 0;
  for (let m = re.exec(text); m !== null && m.index < offset; m = re.exec(text)) {
    line++;
    start = m.index + m[0].length;
  }
  return { line, column: offset - start + 1 };
}

/** Offset where 1-based line `line` starts, counting lines as swc does (\n, \r\n, \r; not U+2028). */
function lineStart(text: string, line: number): number {
  const re = /\r\n?|\n/g;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const m = re.exec(text);
    if (m === null) break;
    start = m.index + m[0].length;
  }
  return start;
}

const ZERO_WIDTH = /[\p{Cc}\p{Cf}\p{Mn}\p{Me}]/u;
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}/u;

/**
 * swc reports error columns in display units, not code units: tab = 4, combining and format
 * characters = 0, East Asian wide and emoji = 2, plus 1 for a character outside the BMP.
 * Walk the line to turn such a column back into a UTF-16 count.
 */
function utf16Columns(text: string, start: number, displayColumn: number): number {
  let i = start;
  let width = 0;
  while (i < text.length && width < displayColumn) {
    const cp = text.codePointAt(i) ?? 0;
    if (cp === 10 || cp === 13) break;
    const ch = String.fromCodePoint(cp);
    width += cp === 9 ? 4 : ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
    if (cp > 0xffff) width++;
    i += ch.length;
  }
  return i - start;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Map a position in transform-mode output back to the TypeScript source through swc's source map. */
function mapToOriginal(mappings: string, original: string, at: Position): Position {
  let srcLine = 0;
  let srcColumn = 0;
  let best: [number, number] = [0, 0];
  const lines = mappings.split(';');
  for (let gen = 0; gen < at.line && gen < lines.length; gen++) {
    let genColumn = 0;
    for (const segment of (lines[gen] ?? '').split(',')) {
      const v = decodeVlq(segment);
      genColumn += v[0] ?? 0;
      if (v.length < 4) continue;
      srcLine += v[2] ?? 0;
      srcColumn += v[3] ?? 0;
      if (gen < at.line - 1 || genColumn <= at.column - 1) best = [srcLine, srcColumn];
    }
  }
  return positionAt(original, lineStart(original, best[0] + 1) + best[1]);
}

/** Base64 VLQ segment of a source map: [generatedColumn, source, sourceLine, sourceColumn, name?]. */
function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  for (let i = 0, value = 0, shift = 0; i < segment.length; i++) {
    const digit = BASE64.indexOf(segment.charAt(i));
    value += (digit & 31) << shift;
    shift += 5;
    if (digit & 32) continue;
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = shift = 0;
  }
  return values;
}
