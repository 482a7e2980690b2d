/**
 * The literal encoders, byte for byte, and the template pre-pass that makes them mandatory: every output
 * `{{ }}` must end with a literal filter, or the template does not compile. (Execution round trips of hostile
 * values are in test/integration/generate-hostile.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { jsLiteral, pyLiteral, shLiteral } from '../../src/generate/literals.js';
import { compileTemplate, createTemplateEnvironment } from '../../src/generate/template-compile.js';

describe('py', () => {
  test.each([
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['a\nb\r\t\0', "'a\\x0ab\\x0d\\x09\\x00'"],
    ['é\u2028😀', "'\\xe9\\u2028\\U0001f600'"],
    ['x\ud800', "'x\\ud800'"],
    ['"quoted" {braces}', '\'"quoted" {braces}\''],
  ])('%j -> %s', (value, literal) => {
    expect(pyLiteral(value)).toBe(literal);
  });

  test('numbers, booleans, None, lists and dicts', () => {
    expect(pyLiteral([1, -2.5, 1e21, 1e-7, true, false, null, 'x'])).toBe(
      "[1, -2.5, 1e+21, 1e-7, True, False, None, 'x']",
    );
    expect(pyLiteral({ "k'": [1], n: { m: null } })).toBe("{'k\\'': [1], 'n': {'m': None}}");
    expect(pyLiteral(-0)).toBe('-0.0');
  });

  test.each([[NaN], [Infinity], [new Date(0)], [() => 1], [Symbol('s')], [[1, NaN]]])(
    'refuses %s',
    (value) => {
      expect(() => pyLiteral(value)).toThrow(InvalidOptionsError);
    },
  );
});

describe('js', () => {
  test.each([
    ['</script><!-- -->', '"\\u003c/script\\u003e\\u003c!-- --\\u003e"'],
    ['a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['${x} `t` \'q\' "d" \\', '"${x} `t` \'q\' \\"d\\" \\\\"'],
    ['x\ud800', '"x\\ud800"'],
    ['a & b', '"a \\u0026 b"'],
  ])('%j -> %s', (value, literal) => {
    expect(jsLiteral(value)).toBe(literal);
  });

  test('JSON values; what JSON would silently change is refused', () => {
    expect(jsLiteral({ a: [1, true, null], b: '<' })).toBe('{"a":[1,true,null],"b":"\\u003c"}');
    expect(() => jsLiteral(undefined)).toThrow(/got an undefined value/);
    expect(() => jsLiteral(NaN)).toThrow(/only finite numbers/);
    expect(() => jsLiteral([new Date(0)])).toThrow(/cannot encode Date/);
    expect(() => jsLiteral({ a: undefined })).toThrow(/cannot encode undefined/);
  });
});

describe('sh', () => {
  test.each([
    ["it's", "'it'\\''s'"],
    ['$(id) `id` ${x} "q" \\', '\'$(id) `id` ${x} "q" \\\''],
    ['line\nbreak', "$'line\\nbreak'"],
    ["tab\t'q'\\ \x1b", "$'tab\\t\\'q\\'\\\\ \\x1b'"],
    ['', "''"],
    ['é 中 \u2028', "'é 中 \u2028'"],
  ])('%j -> %s', (value, literal) => {
    expect(shLiteral(value)).toBe(literal);
  });

  test('numbers and booleans are plain words, lists bash arrays', () => {
    expect(shLiteral(-2.5)).toBe('-2.5');
    expect(shLiteral(true)).toBe('true');
    expect(shLiteral(null)).toBe("''");
    expect(shLiteral(['a b', 1, "c'"])).toBe("('a b' 1 'c'\\''')");
  });

  test.each([['a\0b'], ['x\udc00'], [[['nested']]], [{ a: 1 }], [Infinity]])('refuses %j', (value) => {
    expect(() => shLiteral(value)).toThrow(InvalidOptionsError);
  });
});

describe('templates must encode every output', () => {
  const env = createTemplateEnvironment(() => undefined);
  const compile = (source: string) => compileTemplate(env, source, 't.py.njk');

  test.each([
    ['a bare variable', 'x = {{ x }}', /t\.py\.njk:1:8: output \{\{ \}\} without a literal filter/],
    ['safe', '{{ x | safe }}', /ends with the filter "safe"/],
    ['a filter after the literal one', `{{ x | py | replace("'", "") }}`, /ends with the filter "replace"/],
    ['a variable set from a parameter', '{% set y = x %}\n{{ y }}', /t\.py\.njk:2:4: output/],
    ['a concatenation', '{{ x ~ "" }}', /without a literal filter/],
    ['a loop variable', '{% for c in xs %}{{ c }}{% endfor %}', /without a literal filter/],
    ['a macro call', '{% macro m(a) %}{{ a | py }}{% endmacro %}{{ m(x) }}', /without a literal filter/],
    ['a filter block', `{% filter replace("'", "") %}{{ x | py }}{% endfilter %}`, /filter "replace"/],
    ['an inline if', '{{ x | py if x else "y" }}', /without a literal filter/],
    ['an include', '{% include "other.njk" %}', /include is not allowed/],
    ['an unclosed output', '{{ x | py ', /t\.py\.njk: cannot parse the template/],
    [
      'an unclosed block',
      '{% if x %}',
      /t\.py\.njk: cannot parse the template: .*expected elif, else, or endif/,
    ],
  ])('%s is refused', (_what, source, message) => {
    expect(() => compile(source)).toThrow(InvalidOptionsError);
    expect(() => compile(source)).toThrow(message);
  });

  test('every problem is listed', () => {
    expect(() => compile('{{ a }}\n{{ b | py }}\n{{ c }}')).toThrow(/1:4: .*\n.*3:4: /);
  });

  test.each([
    ['{{ x | py }}', { x: "'" }, "'\\''"],
    ['{{ xs | join(",") | js }}', { xs: ['a', 'b'] }, '"a,b"'],
    ['{{ x | py | sh }}', { x: 'a\nb' }, "''\\''a\\x0ab'\\'''"],
    ['{{ "constant" }}{% if x %}yes{% endif %}', { x: true }, 'constantyes'],
    ['{% for c in xs %}{{ c | py }},{% endfor %}', { xs: ['a', 1] }, "'a',1,"],
    ['{% raw %}{{ x }}{% endraw %}', {}, '{{ x }}'],
  ])('%s is accepted', (source, context, output) => {
    expect(compile(source).render(context)).toBe(output);
  });

  test.each(['{{ missing | py }}', '{{ a.b | js }}', '{{ missing | sh }}'])(
    'an undefined name is an error at render time, not an empty string: %s',
    (source) => {
      expect(() => compile(source).render({})).toThrow(/got an undefined value/);
    },
  );
});
