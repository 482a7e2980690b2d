/**
 * The Java module's analysis, insertion requests and runtime files, without a toolchain (java-build.test.ts
 * compiles and runs the results).
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext } from '../../../src/workflows/instrument/language.js';
import {
  SKIP_ABSTRACT,
  SKIP_NATIVE,
  SKIP_STATEMENT_LAMBDA,
} from '../../../src/workflows/instrument/languages/java-analysis.js';
import {
  isJavaTestFile,
  javaPackage,
  javaSourceRoot,
  javaString,
  support,
} from '../../../src/workflows/instrument/languages/java.js';

async function context(source: string, relPath = 'src/main/java/a/b/A.java'): Promise<FileContext> {
  const parsed = await parse('java', source);
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

const SOURCE = `// ünïcode in a comment shifts bytes against UTF-16 indices.
package a.b;

public class A<T> extends Base implements Runnable {
    static int x;
    static { x = 1; }
    { x++; }

    A(int v) { super(v); }

    @Deprecated
    A() throws Exception {
        this(1);
    }

    abstract void f();
    native void g();

    public <U> U h(U u, int... rest) {
        Runnable r = () -> { };
        java.util.function.Function<Integer, Integer> inc = n -> n + 1;
        Runnable call = () -> System.out.println(u);
        for (int i = 0; i < 3; i++) {
            if (i == 1) return u;
        }
        while (rest.length > 9) throw new IllegalStateException();
        return u;
    }

    public void run() {
        Object o = new Object() {
            @Override public String toString() { return "anon"; }
        };
        class Local { void m() { Runnable q = () -> { Runnable z = () -> { }; }; } }
    }

    record R(int a) { R { if (a < 0) throw new IllegalArgumentException(); } }
    enum E { P { void k() {} }; void k() {} }
    interface I { default void d() {} void e(); }
}
`;

describe('java analysis', () => {
  it('finds methods, constructors, initializers and lambdas with names, kinds and skip reasons', async () => {
    const file = await context(SOURCE);
    const fns = file.analysis.functions.map((fn) => [fn.qualifiedName, fn.kind, fn.skip]);
    expect(fns).toEqual([
      ['A.<clinit>', 'function', null],
      ['A.<instinit>', 'function', null],
      ['A.<init>', 'constructor', null],
      ['A.<init>', 'constructor', null],
      ['A.f', 'method', SKIP_ABSTRACT],
      ['A.g', 'method', SKIP_NATIVE],
      ['A.h', 'method', null],
      ['A.h.lambda$1', 'lambda', null],
      ['A.h.lambda$2', 'lambda', null],
      ['A.h.lambda$3', 'lambda', SKIP_STATEMENT_LAMBDA],
      ['A.run', 'method', null],
      ['A$1.toString', 'method', null],
      ['A$1Local.m', 'method', null],
      ['A$1Local.m.lambda$1', 'lambda', null],
      ['A$1Local.m.lambda$1.lambda$1', 'lambda', null],
      ['A.R.<init>', 'constructor', null],
      ['A.E$1.k', 'method', null],
      ['A.E.k', 'method', null],
      ['A.I.d', 'method', null],
      ['A.I.e', 'method', SKIP_ABSTRACT],
    ]);
    const h = file.analysis.functions.find((fn) => fn.qualifiedName === 'A.h');
    expect(h?.params).toEqual(['u', 'rest']);
    expect(h?.exits.map((exit) => exit.kind)).toEqual(['return', 'throw', 'return']);
    expect(h?.span.start.line).toBe(19);
    // Byte positions count the UTF-8 bytes of the first line (ü, ï: 2 bytes each, 1 UTF-16 unit).
    const line19 = Buffer.from(SOURCE).indexOf('public <U> U h(');
    expect(h?.span.start.byte).toBe(line19);
    const inc = file.analysis.functions.find((fn) => fn.qualifiedName === 'A.h.lambda$2');
    expect(inc?.body).toBeNull();
    expect(inc?.exits.map((exit) => exit.kind)).toEqual(['return']);
    expect(file.analysis.loops.map((loop) => loop.kind)).toEqual(['for', 'while']);
    expect(file.analysis.variables.map((v) => v.name)).toEqual(
      expect.arrayContaining(['x', 'r', 'inc', 'call', 'i', 'o', 'q', 'z']),
    );
  });

  it('inserts on existing lines: after { (or after this(…)/super(…)), before }, lambdas by depth', async () => {
    const file = await context(SOURCE);
    const out = instrument(file);
    expect(out.split('\n')).toHaveLength(SOURCE.split('\n').length);
    const lines = out.split('\n');
    const enter = (q: string, line: number, local = '__sbxC'): string =>
      `final scriptbox.telemetry.T.Call ${local} = scriptbox.telemetry.T.enter("${q}", "src/main/java/a/b/A.java", ${line}); try {`;
    const close =
      '} catch (Throwable __sbxE) { __sbxC.error(__sbxE); throw __sbxE; } finally { __sbxC.exit(); }';
    expect(lines[5]).toBe(`    static { ${enter('A.<clinit>', 6)} x = 1; ${close} }`);
    expect(lines[8]).toBe(`    A(int v) { super(v); ${enter('A.<init>', 9)} ${close} }`);
    // The line reported is the name's, not the annotation's; the entry follows this(…).
    expect(lines[12]).toBe(`        this(1); ${enter('A.<init>', 12)}`);
    expect(lines[20]).toBe(
      `        java.util.function.Function<Integer, Integer> inc = n -> { ${enter('A.h.lambda$2', 21, '__sbxL1')} return n + 1; ` +
        '} catch (Throwable __sbxE1) { __sbxL1.error(__sbxE1); throw __sbxE1; } finally { __sbxL1.exit(); } };',
    );
    expect(lines[21]).toBe('        Runnable call = () -> System.out.println(u);');
    expect(out).toContain(`Runnable z = () -> { ${enter('A$1Local.m.lambda$1.lambda$1', 34, '__sbxL2')}`);
    expect(lines[15]).toBe('    abstract void f();');
    // Every instrumented file carries the marker; the runtime too.
    expect(out).toContain(support.marker);
    expect(support.runtimeFiles([file])[0]?.content).toContain('public static Call enter(');
  });

  it('places the runtime at each source root, from the package declarations', async () => {
    expect(javaPackage('/* package x; */\n// package y;\n@Deprecated package a.b .c ;\nclass X {}')).toBe(
      'a.b.c',
    );
    expect(javaPackage('class X {}')).toBe('');
    expect(javaSourceRoot('src/main/java/a/b/X.java', 'package a.b;')).toBe('src/main/java');
    expect(javaSourceRoot('a/b/X.java', 'package a.b;')).toBe('.');
    expect(javaSourceRoot('app/X.java', 'class X {}')).toBe('app');
    expect(javaSourceRoot('weird/X.java', 'package a.b;')).toBe('weird');
    const one = await context('package a.b;\nclass A { void f() {} }\n');
    const two = await context('package c;\nclass C { void f() {} }\n', 'mod/src/main/java/c/C.java');
    const none = await context('package d;\ninterface D { void f(); }\n', 'lib/d/D.java');
    expect(support.runtimeFiles([one, two, none]).map((file) => file.path)).toEqual([
      'mod/src/main/java/scriptbox/telemetry/T.java',
      'src/main/java/scriptbox/telemetry/T.java',
    ]);
  });

  it('tells test files apart and writes Java string literals', () => {
    for (const path of [
      'src/test/java/a/ATest.java',
      'test/X.java',
      'lib/FooTest.java',
      'lib/FooTests.java',
      'lib/FooIT.java',
      'lib/TestFoo.java',
    ])
      expect(isJavaTestFile(path), path).toBe(true);
    for (const path of ['src/main/java/a/A.java', 'lib/Testament.java', 'lib/Contest.java'])
      expect(isJavaTestFile(path), path).toBe(false);
    expect(javaString('a"b\\c\n\u00e9')).toBe('"a\\"b\\\\c\\012\\u00e9"');
  });
});
