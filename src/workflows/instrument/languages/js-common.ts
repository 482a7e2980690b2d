/**
 * What the JavaScript and TypeScript modules share: the insertion edits, the prelude and the runtime files.
 *
 * Every instrumented function gets, on its own lines (line numbers unchanged):
 *   `{` → `{const __sbxT=__sbx.enter("Q","F",L);try{` and `}` → `}catch(__sbxE){__sbxT.error(__sbxE);throw
 *   __sbxE}finally{__sbxT.exit()}}`
 * so each call emits one enter and exactly one exit or error: `exit` is a no-op after `error`; a generator's
 * body (and so the try) starts at its first `next()` and its `finally` runs when it finishes or is closed
 * early (`return()`, `break` out of for-of); an async function's when its promise settles.
 * Expression-bodied arrows become block bodies on the same line: `=> {…;try{return (EXPR)}catch…}`.
 * A directive prologue (`"use strict"`) stays first: the entry goes after it. A TypeScript derived
 * constructor with a root-level `super(…)` statement starts its trace after that statement, because
 * TypeScript requires `super()` to be a root-level statement when the class has initialised or parameter
 * properties (TS2401); in JavaScript the whole body, `super()` included, is wrapped (the entry never
 * touches `this`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Edit, FunctionSite } from '../model.js';
import type { FileContext, InsertionEdit, InsertionRequest } from '../language.js';
import { RUNTIME_NAME, RUNTIME_SOURCE, RUNTIME_TYPES, RUNTIME_TYPES_NAME } from './js-runtime.js';

export const CLOSE = '}catch(__sbxE){__sbxT.error(__sbxE);throw __sbxE}finally{__sbxT.exit()}';

export function openText(fn: FunctionSite, relPath: string): string {
  const args = `${JSON.stringify(fn.qualifiedName)},${JSON.stringify(relPath)},${fn.span.start.line}`;
  return `const __sbxT=__sbx.enter(${args});try{`;
}

/** One-entry cache of the file's UTF-8 bytes (insertion() is called once per function of a file). */
let cached: { source: string; bytes: Buffer } | undefined;
function bytesOf(source: string): Buffer {
  if (cached?.source !== source) cached = { source, bytes: Buffer.from(source, 'utf8') };
  return cached.bytes;
}

/** Skips spaces, newlines and comments from `i`; returns the next index. */
function skipTrivia(text: string, i: number): number {
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else return i;
  }
}

/** The end of a quoted string starting at `i` (index after the closing quote), or -1. */
function stringEnd(text: string, i: number): number {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === quote) return j + 1;
    else if (c === '\n' && quote !== '`') return -1;
  }
  return -1;
}

/**
 * The end of the directive prologue starting at `from` (after `{` or at the start of a file): the index
 * after the last directive (its `;` included) and whether that directive lacks its `;`; null when none.
 */
export function directivesEnd(text: string, from: number): { end: number; semicolon: boolean } | null {
  let found: { end: number; semicolon: boolean } | null = null;
  let i = skipTrivia(text, from);
  while (text[i] === '"' || text[i] === "'") {
    const end = stringEnd(text, i);
    if (end < 0) break;
    let j = end;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] === ';') found = { end: j + 1, semicolon: true };
    else if (text[j] === '\n' || text[j] === '\r' || text[j] === '}' || j >= text.length)
      found = { end, semicolon: false };
    else break; // `"a" + b`: an expression, not a directive
    i = skipTrivia(text, found.end);
  }
  return found;
}

/**
 * The index after the first root-level `super(…)` statement of a constructor body (`{` at `open`), or -1.
 * A light scanner: strings, template literals and comments are skipped; regex literals are not expected
 * before a constructor's `super` call.
 */
export function rootSuperEnd(text: string, open: number): number {
  let depth = 0;
  let statementStart = true;
  for (let i = open; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      const end = stringEnd(text, i);
      if (end < 0) return -1;
      i = end - 1;
      statementStart = false;
    } else if (text.startsWith('//', i) || text.startsWith('/*', i)) {
      i = skipTrivia(text, i) - 1;
    } else if ('([{'.includes(c)) {
      depth++;
      statementStart = c === '{';
    } else if (')]}'.includes(c)) {
      depth--;
      if (depth <= 0) return -1;
      statementStart = c === '}';
    } else if (c === ';') statementStart = true;
    else if (depth === 1 && statementStart && /^super\s*\(/.test(text.slice(i, i + 40))) {
      let j = text.indexOf('(', i);
      let level = 0;
      for (; j < text.length; j++) {
        const d = text[j] ?? '';
        if (d === '"' || d === "'" || d === '`') j = stringEnd(text, j) - 1;
        else if (d === '(') level++;
        else if (d === ')' && --level === 0) break;
      }
      let k = j + 1;
      while (text[k] === ' ' || text[k] === '\t') k++;
      return text[k] === ';' ? k + 1 : j + 1;
    } else if (!/\s/.test(c)) statementStart = false;
  }
  return -1;
}

/** Up to `max` bytes of `bytes` from `at`, cut at a character boundary. */
function anchor(bytes: Buffer, at: number, end: number, max = 16): string {
  let stop = Math.min(end, at + max);
  while (stop > at && ((bytes[stop] ?? 0) & 0xc0) === 0x80) stop--;
  return bytes.subarray(at, stop).toString('utf8');
}

export function jsInsertion(
  fn: FunctionSite,
  file: FileContext,
  typescript: boolean,
): InsertionRequest | { skip: string } {
  if (fn.skip !== null) return { skip: fn.skip };
  const bytes = bytesOf(file.source);
  const base = fn.span.start.byte;
  const signature = bytes.subarray(base, fn.header.end.byte).toString('utf8');
  const open = openText(fn, file.relPath);
  const edits: InsertionEdit[] = [];
  if (fn.body === null) {
    // Expression-bodied arrow: `=> EXPR` → `=> {…;try{return (EXPR)}catch…}`, on the same lines.
    const at = fn.header.end.byte;
    edits.push({
      at: at - base,
      delete: 0,
      insert: `{${open}return (`,
      expect: anchor(bytes, at, fn.span.end.byte),
    });
    edits.push({ at: fn.span.end.byte - base, delete: 0, insert: `)${CLOSE}}`, expect: '' });
    return { edits, signature };
  }
  const bodyStart = fn.body.start.byte;
  const bodyEnd = fn.body.end.byte;
  if (bytes[bodyStart] !== 0x7b || bytes[bodyEnd - 1] !== 0x7d)
    return { skip: 'the body is not a { … } block' };
  const body = bytes.subarray(bodyStart, bodyEnd).toString('utf8');
  let entry = 0; // index in `body` of the character the entry code follows
  let prefix = '';
  const superEnd =
    typescript && fn.kind === 'constructor' && /\bsuper\s*\(/.test(body) ? rootSuperEnd(body, 0) : -1;
  if (superEnd > 0) {
    entry = superEnd - 1;
    if (body[entry] !== ';') prefix = ';';
  } else {
    const directives = directivesEnd(body, 1);
    if (directives !== null) {
      entry = directives.end - 1;
      if (!directives.semicolon) prefix = ';';
    }
  }
  const entryByte = bodyStart + Buffer.byteLength(body.slice(0, entry), 'utf8');
  const entryChar = body[entry] ?? '{';
  edits.push({
    at: entryByte - base,
    delete: entryChar.length,
    insert: entryChar + prefix + open,
    expect: entryChar,
  });
  edits.push({ at: bodyEnd - 1 - base, delete: 1, insert: `${CLOSE}}`, expect: '}' });
  return { edits, signature };
}

/** How a file binds the runtime: `import` (ES module, TypeScript) or `require` (CommonJS). */
export type ModuleKind = 'esm' | 'cjs';

const packageTypes = new Map<string, string | undefined>();

/** The "type" of the nearest package.json at or above `dir`, stopping at `root`. */
function packageType(root: string, dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const path = join(at, 'package.json');
    if (!packageTypes.has(path)) {
      let type: string | undefined;
      if (existsSync(path)) {
        try {
          const parsed = JSON.parse(readFileSync(path, 'utf8')) as { type?: unknown };
          type = typeof parsed.type === 'string' ? parsed.type : 'commonjs';
        } catch {
          type = 'commonjs';
        }
      }
      packageTypes.set(path, type);
    }
    const type = packageTypes.get(path);
    if (type !== undefined) return type;
    if (at === root || dirname(at) === at || !at.startsWith(root)) return undefined;
  }
}

const ESM_SYNTAX =
  /^[ \t]*(import[ \t]*[\w*{"'$]|export[ \t]+(default|const|let|var|function|class|async|\{|\*))/m;

/** .mjs/.mts → ESM, .cjs → CommonJS; .js by its package's "type", else by its own import/export syntax. */
export function moduleKind(file: FileContext, typescript: boolean): ModuleKind {
  if (typescript || /\.m[jt]s$/.test(file.relPath)) return 'esm';
  if (file.relPath.endsWith('.cjs')) return 'cjs';
  const type = packageType(file.treeRoot, dirname(join(file.treeRoot, file.relPath)));
  if (type === 'module' || ESM_SYNTAX.test(file.source)) return 'esm';
  return 'cjs';
}

/** The runtime binding, as one edit at the file's first statement (after a shebang, comments, directives). */
export function jsPrelude(file: FileContext, instrumented: FunctionSite[], typescript: boolean): Edit[] {
  if (instrumented.length === 0) return [];
  const text = file.source;
  let start = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  let at = skipTrivia(text, start);
  let prefix = '';
  const directives = directivesEnd(text, start);
  if (directives !== null) {
    at = directives.end;
    if (!directives.semicolon) prefix = ';';
  }
  const path = posix.relative(posix.dirname(file.relPath), RUNTIME_NAME);
  const spec = JSON.stringify(path.startsWith('.') ? path : `./${path}`);
  const binding =
    moduleKind(file, typescript) === 'esm'
      ? `import * as __sbx from ${spec};`
      : `const __sbx=require(${spec});`;
  return [{ at: Buffer.byteLength(text.slice(0, at), 'utf8'), delete: 0, insert: prefix + binding }];
}

export function jsRuntimeFiles(
  files: FileContext[],
  typescript: boolean,
): { path: string; content: string }[] {
  if (files.length === 0) return [];
  const runtime = { path: RUNTIME_NAME, content: RUNTIME_SOURCE };
  return typescript ? [runtime, { path: RUNTIME_TYPES_NAME, content: RUNTIME_TYPES }] : [runtime];
}

/** Test files are run, not instrumented: `test/`, `tests/`, `__tests__/`, `*.test.*`, `*.spec.*`, `test.js`. */
export function isJsTestFile(relPath: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|__mocks__|spec)\//.test(relPath) ||
    /(^|\/)[^/]*[.-](test|spec)\.[cm]?[jt]sx?$/.test(relPath) ||
    /(^|\/)tests?\.[cm]?[jt]sx?$/.test(relPath)
  );
}
