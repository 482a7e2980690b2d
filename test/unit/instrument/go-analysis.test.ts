/**
 * The Go module's analysis, insertion requests and runtime files, without a toolchain (go-build.test.ts
 * builds and runs the results).
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext } from '../../../src/workflows/instrument/language.js';
import {
  fileConstraint,
  fileNameConstraint,
  readGoHeader,
  unionConstraint,
} from '../../../src/workflows/instrument/languages/go-build.js';
import { support } from '../../../src/workflows/instrument/languages/go.js';

async function context(source: string, relPath = 'pkg/a.go'): Promise<FileContext> {
  const parsed = await parse('go', source);
  if (!parsed.ok) throw new Error(parsed.message);
  expect(parsed.root.hasError).toBe(false);
  return { relPath, source, analysis: support.analyze(parsed.root, source, relPath), treeRoot: '/tmp/out' };
}

/** Applies every function's insertion edits (bottom-up, bytes) as the core does. */
function instrument(file: FileContext): string {
  let bytes = Buffer.from(file.source, 'utf8');
  const edits = file.analysis.functions.flatMap((fn) => {
    const request = support.insertion(fn, file);
    if ('skip' in request) return [];
    return request.edits.map((edit) => {
      const at = fn.span.start.byte + edit.at;
      expect(bytes.subarray(at, at + Buffer.byteLength(edit.expect)).toString('utf8')).toBe(edit.expect);
      return { ...edit, at };
    });
  });
  for (const edit of edits.sort((a, b) => b.at - a.at))
    bytes = Buffer.concat([
      bytes.subarray(0, edit.at),
      Buffer.from(edit.insert),
      bytes.subarray(edit.at + edit.delete),
    ]);
  return bytes.toString('utf8');
}

const SOURCE = `// Package shapes — ünïcode in a comment shifts bytes against UTF-16 indices.
package shapes

type Circle struct{ R float64 }
type Stack[T any] struct{ items []T }

func (c *Circle) Area() float64 { return 3 * c.R * c.R }
func (Circle) Name() string    { return "circle" }
func (s *Stack[T]) Push(x T)    { s.items = append(s.items, x) }
func (s Stack[T]) Len() int     { return len(s.items) }

var double = func(x int) int { return 2 * x }

func Counter(start int, steps ...int) (next func() int) {
	n := start
	next = func() int {
		n++
		inner := func() int { return n }
		return inner()
	}
	go func() {}()
	if n > 100 {
		panic("too big")
	}
	return
}

func loop(xs []int) {
	for _, x := range xs {
		_ = x
	}
}

func asm(x int) int

//go:nosplit
func fast() int { return 1 }
`;

describe('go analysis', () => {
  it('names functions, methods and closures as the Go compiler does', async () => {
    const { analysis } = await context(SOURCE);
    const names = analysis.functions.map((fn) => `${fn.kind}:${fn.qualifiedName}`);
    expect(names).toEqual([
      'method:(*Circle).Area',
      'method:Circle.Name',
      'method:(*Stack).Push',
      'method:Stack.Len',
      'closure:glob..func1',
      'function:Counter',
      'closure:Counter.func1',
      'closure:Counter.func1.1',
      'closure:Counter.func2',
      'function:loop',
      'function:asm',
      'function:fast',
    ]);
    const counter = analysis.functions.find((fn) => fn.name === 'Counter');
    expect(counter?.params).toEqual(['start', 'steps']);
    expect(counter?.exits.map((exit) => exit.kind)).toEqual(['throw', 'return']);
    expect(analysis.functions.find((fn) => fn.name === 'loop')?.exits.map((e) => e.kind)).toEqual([
      'implicit',
    ]);
    expect(analysis.loops).toHaveLength(1);
    expect(analysis.variables.map((v) => v.name)).toEqual(expect.arrayContaining(['double', 'n', 'inner']));
  });

  it('uses the one range model: UTF-8 bytes, 1-based lines', async () => {
    const file = await context(SOURCE);
    const area = file.analysis.functions[0];
    const bytes = Buffer.from(SOURCE, 'utf8');
    expect(area?.span.start.line).toBe(7);
    expect(bytes.subarray(area?.span.start.byte, area?.span.end.byte).toString()).toMatch(
      /^func \(c \*Circle\) Area.*}$/,
    );
    expect(bytes[area?.body?.start.byte ?? -1]).toBe('{'.charCodeAt(0));
    expect(SOURCE.indexOf('func (c *Circle)')).toBeLessThan(area?.span.start.byte ?? 0); // non-ASCII above
  });

  it('skips what must not get a defer, with the reason', async () => {
    const { analysis } = await context(SOURCE);
    const skips = Object.fromEntries(
      analysis.functions.filter((fn) => fn.skip).map((fn) => [fn.name, fn.skip]),
    );
    expect(skips).toEqual({
      asm: 'no body (implemented in assembly or by a linkname)',
      fast: 'compiler directive //go:nosplit',
    });
    const ignored = await context('//go:build ignore\n\npackage main\n\nfunc main() {}\n', 'gen.go');
    expect(ignored.analysis.functions[0]?.skip).toMatch(/"ignore" build tag/);
  });

  it('inserts one statement after each body brace, on the same line', async () => {
    const file = await context(SOURCE);
    const out = instrument(file);
    expect(out.split('\n')).toHaveLength(SOURCE.split('\n').length);
    expect(out).toContain(
      'func (c *Circle) Area() float64 { defer __sbx_enter("(*Circle).Area", "pkg/a.go", 7).done(); return 3',
    );
    expect(out).toContain('next = func() int { defer __sbx_enter("Counter.func1", "pkg/a.go", 16).done();\n');
    expect(out).toContain('go func() { defer __sbx_enter("Counter.func2", "pkg/a.go", 21).done(); }()');
    expect(out).toContain('func asm(x int) int\n');
    expect(out).toContain('func fast() int { return 1 }');
    // every line that changed still starts with its original text
    const before = SOURCE.split('\n');
    out
      .split('\n')
      .forEach((line, i) => expect(line.startsWith((before[i] ?? '').split('{')[0] ?? '')).toBe(true));
    expect(out.split(support.marker).length - 1).toBe(10); // 12 functions, 2 skipped
  });

  it('gives a stable request: anchor after the brace, header as signature', async () => {
    const file = await context('package p\n\nfunc f(a int) (b int) {\n\treturn a\n}\n', 'p.go');
    const fn = file.analysis.functions[0];
    if (fn === undefined) throw new Error('no function');
    const request = support.insertion(fn, file);
    expect(request).toEqual({
      edits: [{ at: 23, delete: 0, insert: ' defer __sbx_enter("f", "p.go", 3).done();', expect: '\n' }],
      signature: 'func f(a int) (b int) ',
    });
    expect(support.prelude(file, file.analysis.functions)).toEqual([]);
  });

  it('reads package names and build constraints', () => {
    const header = readGoHeader(
      '// Copyright\n\n//go:build linux && !cgo\n// +build linux,!cgo\n\n/* doc */\npackage foo\n',
    );
    expect(header).toEqual({ packageName: 'foo', constraint: 'linux && !cgo' });
    expect(readGoHeader('// +build linux darwin\n// +build amd64\n\npackage x').constraint).toBe(
      '((linux) || (darwin)) && (amd64)',
    );
    expect(readGoHeader('/*\npackage fake\n*/\npackage real').packageName).toBe('real');
    expect(fileNameConstraint('a/poll_linux_arm64.go')).toBe('linux && arm64');
    expect(fileNameConstraint('a/x_windows.go')).toBe('windows');
    expect(fileNameConstraint('linux.go')).toBeNull();
    expect(fileNameConstraint('a/telemetry.go')).toBeNull();
    expect(fileConstraint('x_linux.go', { packageName: 'x', constraint: 'cgo' })).toBe('(cgo) && (linux)');
    expect(unionConstraint(['linux', 'darwin', 'linux'])).toBe('(linux) || (darwin)');
    expect(unionConstraint(['linux', null])).toBeNull();
  });

  it('writes one runtime per package directory, compiled exactly when its files are', async () => {
    const files = [
      await context('package foo\n\nfunc A() {}\n', 'foo/a.go'),
      await context('package foo\n\nfunc B() {}\n', 'foo/b_windows.go'),
      await context('//go:build linux\n\npackage bar\n\nfunc C() {}\n', 'bar/c.go'),
      await context('//go:build darwin\n\npackage bar\n\nfunc D() {}\n', 'bar/d_arm64.go'),
      await context('package main\n\nfunc main() {}\n', 'main.go'),
      await context('package none\n\nfunc asm()\n', 'none/asm.go'),
    ];
    const runtimes = support.runtimeFiles(files);
    expect(runtimes.map((r) => r.path)).toEqual([
      'bar/zz_scriptbox_telemetry.go',
      'foo/zz_scriptbox_telemetry.go',
      'zz_scriptbox_telemetry.go',
    ]);
    const [bar, foo, root] = runtimes;
    expect(bar?.content.startsWith('//go:build (linux) || ((darwin) && (arm64))\n\n// Code generated')).toBe(
      true,
    );
    expect(foo?.content).toMatch(
      /^\/\/ Code generated by scriptbox instrument\. DO NOT EDIT\.\n[^]*\npackage foo\n/,
    );
    expect(root?.content).toContain('\npackage main\n');
    for (const runtime of runtimes) expect(runtime.content).toContain(support.marker);
  });

  it('leaves tests and testdata alone', () => {
    expect(support.isTestFile('a/b_test.go')).toBe(true);
    expect(support.isTestFile('a/testdata/x.go')).toBe(true);
    expect(support.isTestFile('a/contest.go')).toBe(false);
  });
});
