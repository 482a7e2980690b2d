/**
 * Test helpers for the JavaScript/TypeScript modules without the sandbox: parse, analyse, apply each
 * function's insertion edits (anchors checked, as the insertion script does) and the prelude with the
 * core's own rebuild, copy a fixture tree and write the runtime. The end-to-end path through
 * instrumentTree (insertion scripts in the sandbox) is tested by the core's own tests.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext, LanguageSupport } from '../../../src/workflows/instrument/language.js';
import type { Edit, FileAnalysis, FunctionSite } from '../../../src/workflows/instrument/model.js';
import { applyEdits } from '../../../src/workflows/instrument/rebuild.js';

export interface Instrumented {
  text: string;
  analysis: FileAnalysis;
  instrumented: FunctionSite[];
  skipped: Array<{ fn: FunctionSite; reason: string }>;
}

export async function analyzeSource(
  support: LanguageSupport,
  relPath: string,
  source: string,
): Promise<FileAnalysis> {
  const grammar = support.grammarFor?.(relPath) ?? support.grammar;
  const parsed = await parse(grammar, source);
  if (!parsed.ok) throw new Error(parsed.message);
  if (parsed.root.hasError) throw new Error(`${relPath}: syntax errors`);
  return support.analyze(parsed.root, source, relPath);
}

/** Instruments one file's text the way the core does (function edits at file offsets + prelude). */
export async function instrumentSource(
  support: LanguageSupport,
  relPath: string,
  source: string,
  treeRoot = '/nonexistent',
): Promise<Instrumented> {
  const analysis = await analyzeSource(support, relPath, source);
  const context: FileContext = { relPath, source, analysis, treeRoot };
  const bytes = Buffer.from(source, 'utf8');
  const edits: Edit[] = [];
  const instrumented: FunctionSite[] = [];
  const skipped: Instrumented['skipped'] = [];
  for (const fn of analysis.functions) {
    const request = support.insertion(fn, context);
    if ('skip' in request) {
      skipped.push({ fn, reason: request.skip });
      continue;
    }
    const base = fn.span.start.byte;
    for (const edit of request.edits) {
      const found = bytes
        .subarray(base + edit.at, base + edit.at + Buffer.byteLength(edit.expect))
        .toString();
      if (found !== edit.expect) throw new Error(`${fn.qualifiedName}: anchor ${edit.expect} != ${found}`);
      edits.push({ at: base + edit.at, delete: edit.delete, insert: edit.insert });
    }
    instrumented.push(fn);
  }
  edits.unshift(...support.prelude(context, instrumented));
  return { text: applyEdits(bytes, edits).text, analysis, instrumented, skipped };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Copies `src` to `out` and instruments every non-test file of the given languages there. */
export async function instrumentTreeLocally(
  src: string,
  out: string,
  supports: readonly LanguageSupport[],
): Promise<Map<string, Instrumented>> {
  mkdirSync(out, { recursive: true });
  cpSync(src, out, { recursive: true });
  const results = new Map<string, Instrumented>();
  const contexts = new Map<LanguageSupport, FileContext[]>();
  for (const path of walk(out)) {
    const relPath = relative(out, path).split('\\').join('/');
    const support = supports.find((s) => s.extensions.some((ext) => relPath.endsWith(ext)));
    if (support === undefined || support.isTestFile(relPath)) continue;
    const source = readFileSync(path, 'utf8');
    if (source.includes(support.marker)) continue;
    const result = await instrumentSource(support, relPath, source, out);
    writeFileSync(path, result.text);
    results.set(relPath, result);
    const list = contexts.get(support) ?? [];
    list.push({ relPath, source, analysis: result.analysis, treeRoot: out });
    contexts.set(support, list);
  }
  for (const [support, files] of contexts)
    for (const file of support.runtimeFiles(files)) {
      mkdirSync(dirname(join(out, file.path)), { recursive: true });
      writeFileSync(join(out, file.path), file.content);
    }
  return results;
}

export interface TelemetryEvent {
  ts: number;
  event: 'enter' | 'exit' | 'error';
  function: string;
  file: string;
  line: number;
  durationMs?: number;
}

export function readEvents(path: string): TelemetryEvent[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TelemetryEvent);
}

/** Per function: enters, exits, errors; and every function whose enters ≠ exits + errors. */
export function tally(events: readonly TelemetryEvent[]): {
  counts: Map<string, { enter: number; exit: number; error: number }>;
  unbalanced: string[];
} {
  const counts = new Map<string, { enter: number; exit: number; error: number }>();
  for (const event of events) {
    const key = `${event.file}:${event.function}`;
    const count = counts.get(key) ?? { enter: 0, exit: 0, error: 0 };
    count[event.event]++;
    counts.set(key, count);
  }
  const unbalanced = [...counts].filter(([, c]) => c.enter !== c.exit + c.error).map(([key]) => key);
  return { counts, unbalanced };
}
