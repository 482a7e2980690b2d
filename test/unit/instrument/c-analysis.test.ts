/**
 * The C and C++ modules without a toolchain: what analysis finds (qualified names, kinds, params, exits,
 * skips with reasons), the guard text, the include placement that moves no line, and string escaping.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '../../../src/check/parsers.js';
import type { LanguageSupport } from '../../../src/workflows/instrument/language.js';
import { cJsonString } from '../../../src/workflows/instrument/languages/c-emit.js';
import { support as c } from '../../../src/workflows/instrument/languages/c.js';
import { support as cpp } from '../../../src/workflows/instrument/languages/cpp.js';
import { applyEdits } from '../../../src/workflows/instrument/rebuild.js';

async function analyse(support: LanguageSupport, source: string, relPath = 'src/a.c') {
  const parsed = await parse(support.grammar, source);
  if (!parsed.ok) throw new Error(parsed.message);
  const analysis = support.analyze(parsed.root, source, relPath);
  return { analysis, context: { relPath, source, analysis, treeRoot: '/tree' } };
}

/** Instruments one file with the module alone (as the core would, minus the sandbox). */
async function instrument(support: LanguageSupport, source: string, relPath = 'src/a.c'): Promise<string> {
  const { analysis, context } = await analyse(support, source, relPath);
  const edits = [];
  const done = [];
  for (const fn of analysis.functions) {
    const answer = support.insertion(fn, context);
    if ('skip' in answer) continue;
    done.push(fn);
    edits.push(
      ...answer.edits.map((e) => ({ at: fn.span.start.byte + e.at, delete: e.delete, insert: e.insert })),
    );
  }
  edits.push(...support.prelude(context, done));
  return applyEdits(Buffer.from(source), edits).text;
}

const CPP = `namespace ns { namespace {
struct Foo : Base {
  Foo(int x) : x_(x) { }
  ~Foo() { }
  int get() const { return x_; }
  virtual void v() = 0;
  Foo() = default;
  constexpr int c() const { return 1; }
  operator bool() const { return true; }
  template <typename T> T tm(T t) { if (t) return t; throw 1; }
  int x_;
};
} }
int ns::Foo2::bar(int a, char **b) try { return 1; } catch (...) { return 2; }
template <typename T> static T add(T a, T b) { auto l = [&](int z) -> int { return z; }; return l(a) + b; }
int main() { constexpr auto k = [] { return 1; }; auto c = [] () constexpr { return 2; }; }
`;

describe('C/C++ analysis', () => {
  it('names C++ functions by scope, with kinds, params, exits and skips', async () => {
    const { analysis } = await analyse(cpp, CPP, 'a.cpp');
    const rows = analysis.functions.map((f) => [f.qualifiedName, f.kind, f.params.join(','), f.skip]);
    expect(rows).toEqual([
      ['ns::(anonymous namespace)::Foo::Foo', 'constructor', 'x', null],
      ['ns::(anonymous namespace)::Foo::~Foo', 'method', '', null],
      ['ns::(anonymous namespace)::Foo::get', 'method', '', null],
      ['ns::(anonymous namespace)::Foo::Foo', 'constructor', '', 'defaulted or deleted: no body'],
      [
        'ns::(anonymous namespace)::Foo::c',
        'method',
        '',
        'constexpr/consteval function (the guard cannot run in constant evaluation)',
      ],
      ['ns::(anonymous namespace)::Foo::operator bool', 'method', '', null],
      ['ns::(anonymous namespace)::Foo::tm', 'method', 't', null],
      ['ns::Foo2::bar', 'method', 'a,b', null],
      ['add', 'function', 'a,b', null],
      ['add::<lambda@15>', 'lambda', 'z', null],
      ['main', 'function', '', null],
      ['main::<lambda@16>', 'lambda', '', 'lambda in a constant-evaluated context (may run at compile time)'],
      ['main::<lambda@16>#2', 'lambda', '', 'constexpr/consteval lambda (may run at compile time)'],
    ]);
    const tm = analysis.functions.find((f) => f.name === 'tm');
    expect(tm?.exits.map((e) => e.kind)).toEqual(['return', 'throw']);
    const ctor = analysis.functions[0];
    expect(ctor?.exits.map((e) => e.kind)).toEqual(['implicit']);
  });

  it('C: K&R, nested functions, non-static inline and naked skipped, errors left alone', async () => {
    const source = `int kr(a, b) int a; char *b; { return a; }
inline int inl(void) { return 1; }
static inline int sinl(void) { return 1; }
__attribute__((naked)) void nk(void) { }
void outer(void) { int inner(int q) { return q; } (void)inner; }
`;
    const { analysis } = await analyse(c, source);
    expect(analysis.functions.map((f) => [f.qualifiedName, f.kind, f.skip?.split(' (')[0] ?? null])).toEqual([
      ['kr', 'function', null],
      ['inl', 'function', 'C inline definition without static'],
      ['sinl', 'function', null],
      ['nk', 'function', 'naked function'],
      ['outer', 'function', null],
      ['outer::inner', 'closure', null],
    ]);
  });

  it('puts the guard after the brace on the same line, named by nesting depth', async () => {
    const text = await instrument(
      cpp,
      'int f() {\n  auto g = [] { return 1; };\n  return g();\n}\n',
      'x/y.cpp',
    );
    expect(text.split('\n')).toEqual([
      '#include "../scriptbox_telemetry.h"',
      '#line 1',
      'int f() { SCRIPTBOX_TELEMETRY(0, "f", "x/y.cpp", 1);',
      '  auto g = [] { SCRIPTBOX_TELEMETRY(1, "f::<lambda@2>", "x/y.cpp", 2); return 1; };',
      '  return g();',
      '}',
      '',
    ]);
  });
});

describe('include placement (no line moves)', () => {
  const lines = (text: string) => text.split('\n');
  it('takes a leading comment line, even a block comment over several lines', async () => {
    const source = '/* licence\n * text */\n#include <stdio.h>\nint f(void) { return 1; }\n';
    const text = await instrument(c, source);
    expect(lines(text)[0]).toBe('#include "../scriptbox_telemetry.h" /* licence');
    expect(lines(text).length).toBe(lines(source).length);
  });

  it('takes a blank line between top-level items, never one inside #if or a declaration', async () => {
    const source =
      '#include <stdio.h>\n#if X\n\nint y;\n#endif\nint\n\nf(void) { return 1; }\n\nint g(void) { return 2; }\n';
    const text = await instrument(c, source);
    expect(text.startsWith('#include "../scriptbox_telemetry.h"\n#line 1\n')).toBe(true); // no safe line before f
    const other = '#include <stdio.h>\n\nint f(void) { return 1; }\n';
    expect(lines(await instrument(c, other))[1]).toBe('#include "../scriptbox_telemetry.h"');
  });

  it('refuses a comment line whose comment is followed by code, and a continued line', async () => {
    const source = '#define A 1 \\\n\n/* x */ int y;\nint f(void) { return 1; }\n';
    const text = await instrument(c, source);
    expect(text.startsWith('#include "../scriptbox_telemetry.h"\n#line 1\n')).toBe(true);
  });

  it('is skipped on a second pass (the marker)', async () => {
    const text = await instrument(c, '// a\nint f(void) { return 1; }\n');
    expect(text.includes(c.marker)).toBe(true);
  });
});

describe('C string literals of JSON text', () => {
  it('escapes quotes, backslashes, trigraph question marks and non-ASCII bytes', () => {
    expect(cJsonString('operator""_x')).toBe('"operator\\\\\\"\\\\\\"_x"');
    expect(cJsonString('a??=b')).toBe('"a\\?\\?=b"');
    expect(cJsonString('é')).toBe('"\\303\\251"');
  });
});
