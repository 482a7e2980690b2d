/**
 * instrumentTree end to end with the Python module: the real sandbox, the real library cache, the
 * instrumented program run with the host's python3 and its events checked; idempotency; --remove; the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import {
  instrumentTree,
  MANIFEST_NAME,
  removeInstrumentation,
} from '../../src/workflows/instrument/index.js';
import { runCli, stdoutJson, succeeded } from './cli-process.js';

const TREE: Record<string, string> = {
  'app/__init__.py': '',
  'app/calc.py': [
    '"""Arithmetic."""',
    'from __future__ import annotations',
    '',
    '',
    'def add(a, b):',
    '    # the sum',
    '    return a + b',
    '',
    '',
    'def safe_div(a, b):',
    '    if b == 0:',
    '        raise ZeroDivisionError("b is 0")',
    '    return a / b',
    '',
    '',
    'class Counter:',
    '    def __init__(self):',
    '        self.n = 0',
    '',
    '    def bump(self):',
    '        self.n += 1',
    '        return self.n',
    '',
    '',
    'def countdown(n):',
    '    while n > 0:',
    '        yield n',
    '        n -= 1',
    '',
  ].join('\n'),
  'app/crlf.py': 'def shout(s):\r\n    return s.upper()\r\n',
  'main.py': [
    'from app.calc import add, safe_div, Counter, countdown',
    'from app.crlf import shout',
    '',
    'c = Counter()',
    'c.bump()',
    'try:',
    '    safe_div(1, 0)',
    'except ZeroDivisionError:',
    '    pass',
    'print(add(1, 2), list(countdown(2)), shout("x"))',
    '',
  ].join('\n'),
  'tests/test_calc.py': 'from app.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n',
  'vendor/lib.py': 'def v():\n    pass\n',
  '.gitignore': 'ignored.py\n',
  'ignored.py': 'def i():\n    pass\n',
  'notes.txt': 'not code\n',
};

let dir: string;
let engine: Engine;
let library: Library;
const src = (): string => join(dir, 'src');

function files(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!path.includes('__pycache__')) found[relative(root, path)] = readFileSync(path, 'latin1');
    }
  };
  walk(root);
  return found;
}

function runProgram(root: string): { stdout: string; events: Array<Record<string, unknown>> } {
  const telemetry = join(dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
  const stdout = execFileSync('python3', ['-B', 'main.py'], {
    cwd: root,
    env: { ...process.env, SCRIPTBOX_TELEMETRY_FILE: telemetry },
  }).toString('utf8');
  let text = '';
  try {
    text = readFileSync(telemetry, 'utf8');
  } catch {
    // no events
  }
  const events = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stdout, events };
}

beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => {
  await engine.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-instrument-'));
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(src(), path)), { recursive: true });
    writeFileSync(join(src(), path), text);
  }
  library = openLibrary({ home: join(dir, 'home') });
  return () => {
    library.close();
    rmSync(dir, { recursive: true, force: true });
  };
});

describe('instrumentTree (python)', () => {
  it('instruments a tree that still runs, emitting enter and one exit|error per call; cached the second time', async () => {
    const out = join(dir, 'out');
    const first = await instrumentTree(engine, { root: src(), out, library, languages: ['python'] });
    expect(first.files.instrumented).toEqual(['app/calc.py', 'app/crlf.py']);
    expect(first.functions).toMatchObject({ found: 6, instrumented: 6, skipped: [] });
    expect(first.cache).toEqual({ hits: 0, misses: 6, refused: 0, analysesReused: 0 });
    const skipped = Object.fromEntries(first.files.skipped.map((skip) => [skip.path, skip.reason]));
    expect(skipped).toMatchObject({
      'ignored.py': 'gitignored',
      vendor: 'vendored',
      'tests/test_calc.py': 'test file',
    });
    expect(Object.keys(first.timings)).toEqual(
      expect.arrayContaining(['scan', 'analyze', 'sandbox', 'rebuild', 'total']),
    );

    // The untouched files are copied byte for byte; CRLF stays CRLF.
    const before = files(src());
    const after = files(out);
    expect(after['notes.txt']).toBe(before['notes.txt']);
    expect(after['main.py']).toBe(before['main.py']);
    expect(after['app/crlf.py']?.replace(/\r\n/g, '')).not.toMatch(/\n/);
    expect(after['app/calc.py']).toContain('    # the sum\n');

    const original = runProgram(src());
    const run = runProgram(out);
    expect(run.stdout).toBe(original.stdout);
    expect(original.events).toEqual([]);
    const summary = run.events.map((event) => `${String(event.event)} ${String(event.function)}`);
    expect(summary).toEqual([
      'enter Counter.__init__',
      'exit Counter.__init__',
      'enter Counter.bump',
      'exit Counter.bump',
      'enter safe_div',
      'error safe_div',
      'enter add',
      'exit add',
      'enter countdown',
      'exit countdown',
      'enter shout',
      'exit shout',
    ]);
    expect(run.events[0]).toMatchObject({ file: 'app/calc.py', line: 17 });
    expect(typeof run.events[1]?.durationMs).toBe('number');

    const out2 = join(dir, 'out2');
    const second = await instrumentTree(engine, { root: src(), out: out2, library, languages: ['python'] });
    // Every scanned file's analysis is reused (app/__init__.py, calc.py, crlf.py, main.py).
    expect(second.cache).toEqual({ hits: 6, misses: 0, refused: 0, analysesReused: 4 });
    expect(files(out2)).toEqual(after);
    const stats = library.cacheStats();
    expect(stats).toMatchObject({ hits: 6, misses: 6 });
    expect(stats.byLanguage['instrument-python']).toMatchObject({ entries: 6 });
  });

  it('is idempotent, and --remove gives back the original bytes', async () => {
    const before = files(src());
    const first = await instrumentTree(engine, { root: src(), inPlace: true, library });
    expect(first.functions.instrumented).toBe(6);
    const instrumented = files(src());
    const again = await instrumentTree(engine, { root: src(), inPlace: true, library });
    expect(again.files.instrumented).toEqual([]);
    expect(again.files.skipped).toEqual(
      expect.arrayContaining([{ path: 'app/calc.py', reason: 'already instrumented' }]),
    );
    expect(files(src())).toEqual(instrumented);

    const removed = await removeInstrumentation(src());
    expect(removed).toMatchObject({ refused: [], manifestRemoved: true });
    expect(removed.restored.sort()).toEqual(['app/calc.py', 'app/crlf.py']);
    expect(files(src())).toEqual(before);
  });

  it('refuses to remove from a file edited since, keeping the manifest', async () => {
    await instrumentTree(engine, { root: src(), inPlace: true, library });
    const path = join(src(), 'app/calc.py');
    writeFileSync(path, readFileSync(path, 'utf8').replace('return a + b', 'return b + a'));
    const removed = await removeInstrumentation(src());
    expect(removed.refused.map((refusal) => refusal.path)).toEqual(['app/calc.py']);
    expect(readdirSync(src())).toContain(MANIFEST_NAME);
  });
});

describe('scriptbox instrument', () => {
  const cli = (args: string[]) =>
    runCli(['instrument', ...args], { cwd: dir, env: { SCRIPTBOX_HOME: join(dir, 'home') } });

  it('--dry-run --json reports without writing; --out then --remove round-trips', async () => {
    const dry = stdoutJson(succeeded(await cli([src(), '--dry-run', '--json', '--lang', 'python']))) as {
      dryRun: boolean;
      out: string | null;
      functions: { found: number; instrumented: number };
    };
    expect(dry).toMatchObject({ dryRun: true, out: null, functions: { found: 6, instrumented: 6 } });
    expect(readdirSync(src())).not.toContain(MANIFEST_NAME);

    const out = join(dir, 'cli-out');
    const done = succeeded(await cli([src(), '--out', out, '--lang', 'python', '--workers', '2']));
    expect(done.stderr).toMatch(/instrumented 6 functions of 6 found in 2 files/);
    expect(done.stderr).toMatch(/cache: 0 hits, 6 misses; 0 file analyses reused/);
    const removed = stdoutJson(succeeded(await cli(['--remove', out, '--json']))) as { restored: string[] };
    expect(removed.restored.sort()).toEqual(['app/calc.py', 'app/crlf.py']);
    const back = files(out);
    for (const [path, text] of Object.entries(files(src()))) expect(back[path]).toBe(text);
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli([src()])).code).toBe(2);
    expect((await cli([src(), '--out', join(dir, 'o'), '--in-place'])).code).toBe(2);
    expect((await cli([src(), '--out', src()])).code).toBe(2);
    expect((await cli([src(), '--dry-run', '--lang', 'cobol'])).code).toBe(2);
  });
});
