/**
 * The memoised analyses (analysis-cache.ts): a second run takes every unchanged file's analysis from the
 * library's memo; the key covers the bytes and the path, so a changed or moved file is analysed again; a
 * memoised analysis plans, preludes and brings runtime files exactly like a fresh one, for every language
 * module that says its analysis is plain data (checked on all of its fixtures, through the real memo).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openLibrary, type Library } from '../../../src/library/index.js';
import {
  analysisKey,
  analyzeFilesCached,
  ANALYSIS_NAMESPACE,
} from '../../../src/workflows/instrument/analysis-cache.js';
import type { AnalyzeOutcome } from '../../../src/workflows/instrument/analyze.js';
import type { FileContext, LanguageSupport } from '../../../src/workflows/instrument/language.js';
import { SUPPORTS } from '../../../src/workflows/instrument/languages/index.js';
import { planFunctions, preludeEdits } from '../../../src/workflows/instrument/requests.js';
import { scanTree } from '../../../src/workflows/instrument/scan.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures/instrument');

let dir: string;
let library: Library;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-analysis-cache-'));
  library = openLibrary({ home: join(dir, 'home') });
});
afterEach(() => {
  library.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string>): string {
  const root = join(dir, 'tree');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const scan = async (root: string, supports: readonly LanguageSupport[] = SUPPORTS) =>
  (await scanTree({ root, supports })).files;

/** Everything the later steps take from an analysis: requests, scripts, skips, preludes, runtime files. */
function planned(outcomes: readonly AnalyzeOutcome[], root: string): unknown {
  const plan = planFunctions(outcomes, root);
  const contexts = new Map<LanguageSupport, FileContext[]>();
  const files = plan.files.map((file) => {
    contexts.set(file.file.support, [...(contexts.get(file.file.support) ?? []), file.context]);
    return {
      path: file.file.relPath,
      comments: file.comments,
      functions: file.functions.map((fn) => [fn.fn.qualifiedName, fn.script.key, fn.script.offsets, fn.text]),
      prelude: preludeEdits(
        file,
        file.functions.map((fn) => fn.fn),
      ),
    };
  });
  const runtimes = [...contexts].map(([support, list]) => support.runtimeFiles(list));
  return { files, skipped: plan.skipped, found: plan.found, runtimes };
}

describe('analyses memoised in the library', () => {
  test('a second run reuses every analysis; a changed file is analysed again (the key covers its bytes)', async () => {
    const root = write({
      'a.py': 'def a():\n    return 1\n',
      'b.py': 'def b():\n    return 2\n',
      'c.js': 'function c() { return 3; }\n',
    });
    const first = await analyzeFilesCached(await scan(root), library);
    expect(first.reused).toBe(0);
    expect(first.outcomes.every((outcome) => outcome.ok)).toBe(true);

    const second = await analyzeFilesCached(await scan(root), library);
    expect(second.reused).toBe(3);
    expect(second.outcomes).toEqual(first.outcomes);

    writeFileSync(join(root, 'b.py'), 'def b():\n    return 2\n\n\ndef b2():\n    return 22\n');
    const third = await analyzeFilesCached(await scan(root), library);
    expect(third.reused).toBe(2);
    const b = third.outcomes.find((outcome) => outcome.file.relPath === 'b.py');
    expect(b?.ok && b.analysis.functions.map((fn) => fn.name)).toEqual(['b', 'b2']);
    expect((await analyzeFilesCached(await scan(root), library)).reused).toBe(3);
  });

  test('the path is part of the key: the same bytes elsewhere are analysed for their own path', async () => {
    const root = write({ 'a.py': 'def a():\n    return 1\n' });
    await analyzeFilesCached(await scan(root), library);
    write({ 'sub/a.py': 'def a():\n    return 1\n' });
    const again = await analyzeFilesCached(await scan(root), library);
    expect(again.reused).toBe(1);
    const moved = again.outcomes.find((outcome) => outcome.file.relPath === 'sub/a.py');
    expect(moved?.ok && moved.analysis.path).toBe('sub/a.py');
  });

  test('no library, no memo; a dry run (store: false) reads but writes nothing', async () => {
    const root = write({ 'a.py': 'def a():\n    return 1\n' });
    const files = await scan(root);
    expect((await analyzeFilesCached(files, undefined)).reused).toBe(0);
    await analyzeFilesCached(files, library, { store: false });
    expect(
      library.memoGetMany(
        ANALYSIS_NAMESPACE,
        files.map((file) => analysisKey(file)),
      ).size,
    ).toBe(0);
    await analyzeFilesCached(files, library);
    expect((await analyzeFilesCached(files, library, { store: false })).reused).toBe(1);
  });

  test('an entry of the wrong shape is ignored and replaced; files with syntax errors are not kept', async () => {
    const root = write({ 'a.py': 'def a():\n    return 1\n', 'bad.py': 'def (:\n' });
    const files = await scan(root);
    const a = files.find((file) => file.relPath === 'a.py');
    if (a === undefined) throw new Error('a.py not scanned');
    library.memoPutMany(ANALYSIS_NAMESPACE, [
      { key: analysisKey(a), value: { analysis: { language: 'go' } } },
    ]);
    const first = await analyzeFilesCached(files, library);
    expect(first.reused).toBe(0);
    expect(first.outcomes.map((outcome) => outcome.ok)).toEqual([true, false]);
    const second = await analyzeFilesCached(files, library);
    expect(second.reused).toBe(1);
    expect(second.outcomes).toEqual(first.outcomes);
  });

  test('modules with side tables (plainAnalysis unset) are analysed every time', async () => {
    const root = write({ 'A.java': 'class A { int f() { return 1; } }\n', 'r.rb': 'def f\n  1\nend\n' });
    const files = await scan(root);
    await analyzeFilesCached(files, library);
    expect((await analyzeFilesCached(files, library)).reused).toBe(0);
    expect(
      library.memoGetMany(
        ANALYSIS_NAMESPACE,
        files.map((file) => analysisKey(file)),
      ).size,
    ).toBe(0);
  });

  test('the modules that memoise', () => {
    const plain = SUPPORTS.filter((support) => support.plainAnalysis === true).map((s) => s.language);
    expect(plain.sort()).toEqual(['go', 'javascript', 'python', 'rust', 'typescript']);
  });

  test.each(
    SUPPORTS.filter((support) => support.plainAnalysis === true).map((s) => [s.language, s] as const),
  )('%s: a memoised analysis plans exactly like a fresh one, on every fixture', async (language, support) => {
    const root = join(FIXTURES, language);
    const files = await scan(root, [support]);
    expect(files.length).toBeGreaterThan(0);
    const fresh = await analyzeFilesCached(files, library);
    const memoised = await analyzeFilesCached(files, library);
    expect(memoised.reused).toBe(fresh.outcomes.filter((outcome) => outcome.ok).length);
    expect(memoised.reused).toBeGreaterThan(0);
    expect(planned(memoised.outcomes, root)).toEqual(planned(fresh.outcomes, root));
  });
});
