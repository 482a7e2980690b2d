/**
 * The Python module's analysis against Python's own view (test/fixtures/instrument/python/oracle.py: ast
 * positions in UTF-8 byte columns, qualified names of the compiled code objects), on the tricky fixtures
 * and more-itertools; plus the prelude's place and the insertion edits.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { support, preludeIndex } from '../../../src/workflows/instrument/languages/python.js';
import { analyzeSource, instrumentSource, PYTHON } from './python-helpers.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/instrument/python');
const FILES = [
  ...readdirSync(join(FIXTURES, 'tricky')).map((f) => join('tricky', f)),
  'more-itertools/more_itertools/more.py',
  'more-itertools/more_itertools/recipes.py',
].filter((f) => f.endsWith('.py'));

interface OracleFunction {
  qualifiedName: string;
  start: [number, number];
  end: [number, number];
  params: string[];
  async: boolean;
  generator: boolean;
}

describe('python analysis', () => {
  it.each(FILES)('%s: names, spans, params and flags match Python (ast + code objects)', async (file) => {
    const path = join(FIXTURES, file);
    const source = readFileSync(path, 'utf8');
    const oracle = (
      JSON.parse(
        execFileSync(PYTHON, [join(FIXTURES, 'oracle.py'), path], { encoding: 'utf8' }),
      ) as OracleFunction[]
    )
      // Python 3.11 names a lambda inside a comprehension `<listcomp>.<lambda>`; 3.12 inlines comprehensions.
      .map((f) => ({
        ...f,
        qualifiedName: f.qualifiedName.replace(/<(listcomp|setcomp|dictcomp|genexpr)>\./g, ''),
      }));
    const analysis = await analyzeSource(source, file);
    const bytes = Buffer.from(source, 'utf8');
    const mine = analysis.functions
      .map((fn) => {
        // The one range model: byte offsets agree with lines and columns.
        const text = bytes.subarray(fn.span.start.byte, fn.span.end.byte).toString('utf8');
        expect(text).toMatch(/^(async\s+def|def|lambda)\b/);
        return {
          qualifiedName: fn.qualifiedName,
          start: [fn.span.start.line, fn.span.start.column],
          end: [fn.span.end.line, fn.span.end.column],
          params: fn.params,
          async: fn.async,
          generator: fn.generator,
        };
      })
      .sort(
        (a, b) =>
          a.start[0]! - b.start[0]! ||
          a.start[1]! - b.start[1]! ||
          a.qualifiedName.localeCompare(b.qualifiedName),
      );
    expect(mine).toEqual(oracle);
  });

  it('reports kinds, bodies, exits and skips', async () => {
    const source = readFileSync(join(FIXTURES, 'tricky/methods.py'), 'utf8');
    const fns = new Map((await analyzeSource(source)).functions.map((fn) => [fn.qualifiedName, fn]));
    expect(fns.get('Shape.__init__')?.kind).toBe('constructor');
    expect(fns.get('Shape.name')?.kind).toBe('accessor');
    expect(fns.get('Shape.unit')?.kind).toBe('method');
    const area = fns.get('Shape.area')!;
    expect(area.exits.map((e) => e.kind)).toEqual(['throw']);
    expect(area.body?.start.line).toBe(38);
    expect(area.header.end.byte).toBe(area.body?.start.byte);

    const gen = (await analyzeSource(readFileSync(join(FIXTURES, 'tricky/generators.py'), 'utf8'))).functions;
    const echo = gen.find((fn) => fn.name === 'echo')!;
    expect(echo.exits.map((e) => e.kind)).toEqual(['yield', 'yield', 'return']);
    const noReturn = (await analyzeSource(readFileSync(join(FIXTURES, 'tricky/early_returns.py'), 'utf8')))
      .functions[1]!;
    expect(noReturn.exits.at(-1)).toMatchObject({
      kind: 'implicit',
      span: { start: { line: 18, column: 21 } },
    });

    const lambdas = await analyzeSource(readFileSync(join(FIXTURES, 'tricky/lambdas.py'), 'utf8'));
    expect(
      lambdas.functions.filter((fn) => fn.kind === 'lambda').every((fn) => fn.skip?.startsWith('lambda')),
    ).toBe(true);
    expect(lambdas.functions.find((fn) => fn.name === 'apply_all')?.kind).toBe('function');
    expect(lambdas.loops).toEqual([]);
    const closures = await analyzeSource(readFileSync(join(FIXTURES, 'tricky/closures.py'), 'utf8'));
    expect(closures.functions.find((fn) => fn.name === 'add')?.kind).toBe('closure');
    expect(closures.loops.map((l) => l.kind)).toEqual(['for']);
    expect(closures.variables.map((v) => v.name)).toEqual(['count', 'count', 'adders', 'i']);
  });

  it('puts the prelude after shebang, coding line, docstring and __future__ imports', () => {
    const at = (source: string): string => source.slice(preludeIndex(source));
    expect(at('import os\n')).toBe('import os\n');
    expect(at('#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nx = 1\n')).toBe('x = 1\n');
    expect(
      at('"""doc\n"quoted" \\"""\n"""\nfrom __future__ import (\n  annotations,\n)\n\n# c\ndef f(): pass\n'),
    ).toBe('def f(): pass\n');
    expect(at("r'''doc'''\r\nfrom __future__ import annotations\r\nclass A: pass\r\n")).toBe(
      'class A: pass\r\n',
    );
    expect(at('@dec\ndef f(): pass')).toBe('@dec\ndef f(): pass');
  });

  it('inserts a decorator line below user decorators and one prelude line (CRLF kept by the core)', async () => {
    const source =
      '"""m"""\nimport functools\n\n\n@functools.lru_cache()\ndef f(x):\n    def g():\n        return x\n    return g\n';
    const { text } = await instrumentSource(source, 'pkg/m.py');
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^__sbx__ = .*\.bind\(__file__, "pkg\/m\.py"\)$/);
    expect(lines[1]).toContain(support.marker);
    expect(lines.slice(5, 10)).toEqual([
      '@functools.lru_cache()',
      '@__sbx__.trace("f", 6, 2, (7,))',
      'def f(x):',
      '    @__sbx__.trace("f.<locals>.g", 7, 3)',
      '    def g():',
    ]);
    expect(
      support
        .runtimeFiles([{ relPath: 'pkg/m.py', source, analysis: await analyzeSource(source), treeRoot: '/' }])
        .map((f) => f.path),
    ).toEqual(['pkg/scriptbox_telemetry.py']);
    expect(support.isTestFile('tests/test_more.py')).toBe(true);
    expect(support.isTestFile('pkg/conftest.py')).toBe(true);
    expect(support.isTestFile('more_itertools/more.py')).toBe(false);
  });
});
