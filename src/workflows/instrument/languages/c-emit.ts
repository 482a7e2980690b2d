/**
 * What the C and C++ modules insert: after each body's `{`, on the same line, the guard
 * `SCRIPTBOX_TELEMETRY(depth, "function", "file", line);` (a declaration, so it is valid even in C89 and
 * ahead of the body's own declarations); per file one `#include` of the runtime by a relative path, placed
 * without moving a line where possible (see c-placement.ts). The guard's variable is named by nesting
 * depth, so a lambda's guard never shadows its enclosing function's.
 */
import { posix } from 'node:path';
import type { SyntaxNode } from '../../../check/parsers.js';
import type { FileContext, InsertionRequest, LanguageSupport } from '../language.js';
import { byteLength, type Edit, type FunctionSite } from '../model.js';
import { analyzeC, type CLanguage } from './c-common.js';
import { placementFor } from './c-placement.js';
import { C_RUNTIME_FILE, C_RUNTIME_HEADER } from './c-runtime.js';

/** Present in every instrumented C/C++ file (the include line). */
export const C_MARKER = C_RUNTIME_FILE;
const MAX_NAME = 400;

/**
 * A C string literal holding `text` already JSON-escaped (the runtime copies bytes, it escapes nothing):
 * ASCII only, `?` escaped against trigraphs, other bytes as octal escapes.
 */
export function cJsonString(text: string): string {
  const json = JSON.stringify(text.length > MAX_NAME ? `${text.slice(0, MAX_NAME)}...` : text).slice(1, -1);
  let out = '"';
  for (const byte of Buffer.from(json, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte === 0x3f) out += '\\?';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** How many function sites enclose `fn` (the guard's name suffix). */
function depthOf(fn: FunctionSite, all: readonly FunctionSite[]): number {
  return all.filter(
    (other) =>
      other !== fn && other.span.start.byte <= fn.span.start.byte && other.span.end.byte >= fn.span.end.byte,
  ).length;
}

/** The last source converted to bytes (the core asks for one file's functions in a row). */
let lastSource: { text: string; bytes: Buffer } | null = null;
function bytesOf(text: string): Buffer {
  if (lastSource?.text !== text) lastSource = { text, bytes: Buffer.from(text, 'utf8') };
  return lastSource.bytes;
}

export function guardText(fn: FunctionSite, file: FileContext): string {
  const depth = depthOf(fn, file.analysis.functions);
  const name = cJsonString(fn.qualifiedName);
  return `SCRIPTBOX_TELEMETRY(${depth}, ${name}, ${cJsonString(file.relPath)}, ${fn.span.start.line});`;
}

export function cInsertion(fn: FunctionSite, file: FileContext): InsertionRequest | { skip: string } {
  if (fn.skip !== null) return { skip: fn.skip };
  if (fn.body === null) return { skip: 'no body' };
  const bytes = bytesOf(file.source);
  if (bytes[fn.body.start.byte] !== 0x7b) return { skip: 'the body does not start with {' };
  const signature = bytes.subarray(fn.header.start.byte, fn.header.end.byte).toString('utf8');
  return {
    signature,
    edits: [
      {
        at: fn.body.start.byte - fn.span.start.byte,
        delete: 1,
        insert: `{ ${guardText(fn, file)}`,
        expect: '{',
      },
    ],
  };
}

/** The include line's text for a file (the runtime header at the tree root, by a relative path). */
export function includeLine(relPath: string): string {
  const target = posix.relative(posix.dirname(relPath), C_RUNTIME_FILE);
  return `#include "${target}"`;
}

export function cPrelude(file: FileContext, instrumented: FunctionSite[]): Edit[] {
  if (instrumented.length === 0) return [];
  const include = includeLine(file.relPath);
  const at = placementFor(file.source);
  if (at === null) {
    const bom = file.source.charCodeAt(0) === 0xfeff ? 3 : 0;
    return [{ at: bom, delete: 0, insert: `${include}\n#line 1\n` }];
  }
  const byte = byteLength(file.source.slice(0, at));
  const blank = /^[ \t\f\v]*\r?(\n|$)/.test(file.source.slice(at, at + 200));
  return [{ at: byte, delete: 0, insert: blank ? include : `${include} ` }];
}

export function cRuntimeFiles(files: FileContext[]): { path: string; content: string }[] {
  return files.length === 0 ? [] : [{ path: C_RUNTIME_FILE, content: C_RUNTIME_HEADER }];
}

/** A C or C++ `LanguageSupport` (they differ in grammar, extensions and the C-only inline rule). */
export function makeCSupport(
  language: CLanguage,
  extensions: readonly string[],
  isTestFile: (relPath: string) => boolean,
): LanguageSupport {
  return {
    language,
    extensions,
    grammar: language,
    isTestFile,
    analyze: (root: SyntaxNode, source: string, relPath: string) => analyzeC(language, root, source, relPath),
    insertion: cInsertion,
    prelude: cPrelude,
    runtimeFiles: cRuntimeFiles,
    marker: C_MARKER,
    // Macros the grammar misreads are common in real C: analyzeC leaves those regions alone.
    toleratesSyntaxErrors: true,
  };
}

/** Test sources by the usual C/C++ conventions: test/ or tests/ folders, test_x, x_test, x_unittest. */
export function isCTestFile(relPath: string): boolean {
  const base = posix.basename(relPath).replace(/\.[^.]+$/, '');
  return /(^|\/)(tests?|testing|unittests?)\//.test(relPath) || /^test_|_(test|tests|unittest)$/.test(base);
}
