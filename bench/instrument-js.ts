/**
 * JavaScript instrumentation, ours next to istanbul-lib-instrument (the coverage instrumenter most JS
 * tools use), on the same real files, interleaved round by round. "ours" is the language-side work done in
 * process: tree-sitter parse, analysis, every function's insertion edits (anchors checked, as the
 * insertion script does) and the prelude, applied with the core's rebuild — i.e. without the sandbox
 * batches and the script cache, which `instrumentTree` adds and the lead measures separately. istanbul
 * parses with Babel, adds counters for every function, statement and branch and regenerates the code.
 *
 * The files: the vendored lru_map fixture's lru.js (29 functions) and acorn's dist/acorn.js (already a
 * dependency; a few hundred functions), each reported per file and per function.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parse } from '../src/check/parsers.js';
import type { FileContext } from '../src/workflows/instrument/language.js';
import { support } from '../src/workflows/instrument/languages/javascript.js';
import type { Edit } from '../src/workflows/instrument/model.js';
import { applyEdits } from '../src/workflows/instrument/rebuild.js';
import { interleave, type Summary } from './stats.js';

interface Istanbul {
  createInstrumenter(opts?: Record<string, unknown>): {
    instrumentSync(code: string, filename: string): string;
  };
}

const require = createRequire(import.meta.url);
const REPO = resolve(import.meta.dirname, '..');

/** The JS files measured: [name, path]. */
export function benchJsFiles(): Array<[string, string]> {
  return [
    ['lru_map/lru.js', join(REPO, 'test/fixtures/instrument/javascript/lru_map/lru.js')],
    ['acorn/dist/acorn.js', join(dirname(require.resolve('acorn')), 'acorn.js')],
  ];
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** Ours, in process: parse, analyse, edits, prelude, rebuild. Returns the functions instrumented. */
export async function instrumentJsInProcess(relPath: string, source: string): Promise<number> {
  const parsed = await parse(support.grammar, source);
  if (!parsed.ok) throw new Error(parsed.message);
  const analysis = support.analyze(parsed.root, source, relPath);
  const context: FileContext = { relPath, source, analysis, treeRoot: '/nonexistent' };
  const bytes = Buffer.from(source, 'utf8');
  const edits: Edit[] = [];
  const done = [];
  for (const fn of analysis.functions) {
    const request = support.insertion(fn, context);
    if ('skip' in request) continue;
    const base = fn.span.start.byte;
    for (const edit of request.edits) {
      const at = base + edit.at;
      if (bytes.toString('utf8', at, at + Buffer.byteLength(edit.expect)) !== edit.expect)
        throw new Error(`anchor mismatch in ${fn.qualifiedName}`);
      edits.push({ at, delete: edit.delete, insert: edit.insert });
    }
    done.push(fn);
  }
  applyEdits(bytes, [...support.prelude(context, done), ...edits]);
  return done.length;
}

export interface JsInstrumentBench {
  file: string;
  functions: number;
  ours: Summary;
  istanbul: Summary;
  oursPerFunctionMs: number;
  istanbulPerFunctionMs: number;
  /** istanbul's p50 over ours: above 1, ours is faster. */
  speedupP50: number;
}

/** Per file: ours and istanbul side by side, `rounds` interleaved rounds after a warm-up. */
export async function benchInstrumentJs(rounds = 30): Promise<JsInstrumentBench[]> {
  const istanbul = (require('istanbul-lib-instrument') as Istanbul).createInstrumenter({ esModules: false });
  const out: JsInstrumentBench[] = [];
  for (const [name, path] of benchJsFiles()) {
    const source = readFileSync(path, 'utf8');
    const functions = await instrumentJsInProcess(name, source);
    const results = await interleave(
      {
        ours: () => instrumentJsInProcess(name, source),
        istanbul: () => Promise.resolve(istanbul.instrumentSync(source, name)),
      },
      rounds,
    );
    const ours = results['ours'] as Summary;
    const theirs = results['istanbul'] as Summary;
    const per = (ms: number): number => Math.round((ms / functions) * 1000) / 1000;
    out.push({
      file: name,
      functions,
      ours,
      istanbul: theirs,
      oursPerFunctionMs: per(ours.p50Ms),
      istanbulPerFunctionMs: per(theirs.p50Ms),
      speedupP50: Math.round((theirs.p50Ms / ours.p50Ms) * 100) / 100,
    });
  }
  return out;
}

// `node --import tsx bench/instrument-js.ts` prints the figures on its own.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  console.log(JSON.stringify(await benchInstrumentJs(Number(process.env.ROUNDS ?? 30)), null, 2));
}
