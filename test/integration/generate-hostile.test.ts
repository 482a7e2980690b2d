/**
 * Injection safety of templates, proven by execution: hostile values for every parameter type reach
 * generated Python, JavaScript, TypeScript and bash only as literals. Each generated script prints the
 * values back and whether the marker file `pwned` exists; the values must round-trip exactly and the marker
 * must be absent. Control tests splice the same payloads in naively and see the marker appear, so the
 * payloads are live.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, InvalidOptionsError, type Engine } from '../../src/index.js';
import { createTemplateRegistry, type TemplateRegistry } from '../../src/generate/registry.js';

const PARAMS = [
  { name: 's', type: 'string', description: 'a string', required: true },
  { name: 'n', type: 'number', description: 'a number', required: true },
  { name: 'i', type: 'integer', description: 'an integer', required: true },
  { name: 'b', type: 'boolean', description: 'a boolean', required: true },
  { name: 'sa', type: 'string[]', description: 'strings', required: true },
  { name: 'na', type: 'number[]', description: 'numbers', required: true },
];

const PYTHON = `import json, os
s = {{ s | py }}
n = {{ n | py }}
i = {{ i | py }}
b = {{ b | py }}
sa = {{ sa | py }}
na = {{ na | py }}
# a literal in a comment stays in it: {{ s | py }}
extra = {"call": str({{ s | py }}), "dict": {"k": {{ s | py }}}["k"], "items": [{{ sa | py }}][0]}
pwned = os.path.exists("pwned") or os.path.exists("out/pwned")
print(json.dumps({"s": s, "n": n, "i": i, "b": b, "sa": sa, "na": na, "extra": extra, "pwned": pwned}))
`;

const JAVASCRIPT = `import { existsSync } from 'node:fs';
const s = {{ s | js }};
const n = {{ n | js }};
const i = {{ i | js }};
const b = {{ b | js }};
const sa = {{ sa | js }};
const na = {{ na | js }};
// a literal in a comment stays in it: {{ s | js }}
const extra = { call: String({{ s | js }}), dict: { k: {{ s | js }} }.k, items: [{{ sa | js }}][0] };
const pwned = existsSync('pwned') || existsSync('out/pwned');
console.log(JSON.stringify({ s, n, i, b, sa, na, extra, pwned }));
`;

const TYPESCRIPT = JAVASCRIPT.replace('const s =', 'const s: string =').replace(
  'const sa =',
  'const sa: string[] =',
);

const BASH = `s={{ s | sh }}
n={{ n | sh }}
i={{ i | sh }}
b={{ b | sh }}
sa={{ sa | sh }}
na={{ na | sh }}
out() { printf '%s\\0%s\\0' "$1" "$2"; }
out s "$s"; out n "$n"; out i "$i"; out b "$b"
for v in "\${sa[@]}"; do out sa "$v"; done
for v in "\${na[@]}"; do out na "$v"; done
# a literal in a comment stays in it: {{ s | sh }}
printf 'arg\\0'; printf '%s' {{ s | sh }}; printf '\\0'
if {{ b | sh }}; then out if yes; else out if no; fi
out sum "$(( {{ i | sh }} + 1 ))"
if [ -e pwned ] || [ -e out/pwned ]; then out pwned yes; else out pwned no; fi
`;

const LANGUAGES = [
  { language: 'python', ext: 'py', template: PYTHON },
  { language: 'javascript', ext: 'js', template: JAVASCRIPT },
  { language: 'typescript', ext: 'ts', template: TYPESCRIPT },
  { language: 'bash', ext: 'sh', template: BASH },
] as const;

/** Payloads aimed at each language's quoting, plus the characters encoders usually get wrong. */
const HOSTILE: [string, string][] = [
  ['python breakout', 'x"]); import os; os.system("id") #'],
  ['python single-quote breakout', "x'; open('pwned', 'w').close() #"],
  ['python call breakout', "x'), open('pwned', 'w').close(), ('"],
  ['python newline breakout', '\nopen("pwned", "w").close()\n'],
  ['python triple quotes', `'''"""); open("pwned", "w").close() #`],
  ['backslash before quote', '\\", open("pwned", "w").close(), "\\'],
  ['js breakout', `"; require('fs').writeFileSync('pwned', ''); "`],
  ['js template literal', '${require("fs").writeFileSync("pwned", "")}`'],
  ['unicode line separators', 'a\u2028require("fs").writeFileSync("pwned", "")\u2029//'],
  ['script tags', '</script><script>alert(1)</script><!-- -->'],
  ['bash command substitution', '$(touch pwned)'],
  ['bash backticks', '`touch pwned`'],
  ['bash quote breakout', "'; touch pwned; echo '"],
  ['bash newline out of a comment', '\ntouch pwned\n#'],
  ['bash expansions', '${IFS}$HOME ${x:-y} $((1+1)) ~ *  ?'],
  ['escapes as text', '\\n \\x41 \\u0041 \\N{BULLET} \\0 \\\\'],
  ['control characters', 'a\tb\rc\x01d\x1be\x7ff\x85g'],
  ['non-ASCII', 'é ü ß 中文 😀 \u00a0 \ufeff \u200b'],
  ['template syntax', '{{ s }} {% raw %} {# x #} #{x}'],
  ['options', '-n'],
  ['empty', ''],
];
const NUL: [string, string] = ['NUL byte', 'a\0b'];
const NUMBERS = [-2.5, 1e21, 0.1, 5e-324, 123456789.125, 0];

let engine: Engine;
let registry: TemplateRegistry;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-hostile-'));
  mkdirSync(join(dir, 'echo'));
  for (const { language, ext, template } of LANGUAGES) {
    writeFileSync(join(dir, 'echo', `${language}.${ext}.njk`), template);
    const meta = { description: `echo every parameter type in ${language}`, language, params: PARAMS };
    writeFileSync(join(dir, 'echo', `${language}.json`), JSON.stringify(meta));
  }
  registry = createTemplateRegistry({ templateDirs: [dir], builtin: false });
  engine = await createEngine({ pool: { size: 0 } });
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The values the script printed back, in the shape the parameters were given. */
function decodeBash(stdout: string): Record<string, unknown> {
  const parts = stdout.split('\0');
  const got: Record<string, unknown> = { sa: [], na: [] };
  for (let at = 0; at + 1 < parts.length; at += 2) {
    const [key = '', value = ''] = [parts[at], parts[at + 1]];
    if (key === 'sa') (got['sa'] as string[]).push(value);
    else if (key === 'na') (got['na'] as number[]).push(Number(value));
    else got[key] = value;
  }
  return got;
}

async function run(language: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { source } = registry.render(`echo/${language}`, params);
  const result = await engine.run({ language, source });
  expect(result.error, result.stderr).toBeNull();
  return language === 'bash'
    ? decodeBash(result.stdout)
    : (JSON.parse(result.stdout) as Record<string, unknown>);
}

describe.each(LANGUAGES)('hostile values in $language', ({ language }) => {
  const cases = language === 'bash' ? HOSTILE : [...HOSTILE, NUL];
  test.each(cases.map(([what, value], index) => ({ what, value, index })))(
    '$what',
    async ({ value, index }) => {
      const params = {
        s: value,
        n: NUMBERS[index % NUMBERS.length] ?? 0,
        i: index % 2 === 0 ? -(2 ** 53 - 1) : index,
        b: index % 2 === 0,
        sa: [value, 'plain', `${value}2`, ''],
        na: [NUMBERS[index % NUMBERS.length] ?? 0, -1, 0.5],
      };
      const got = await run(language, params);
      if (language === 'bash') {
        expect(got).toEqual({
          s: params.s,
          n: String(params.n),
          i: String(params.i),
          b: String(params.b),
          sa: params.sa,
          na: params.na,
          arg: params.s,
          if: params.b ? 'yes' : 'no',
          sum: String(params.i + 1),
          pwned: 'no',
        });
      } else {
        expect(got).toEqual({
          ...params,
          extra: { call: value, dict: value, items: params.sa },
          pwned: false,
        });
      }
    },
  );
});

describe('what bash cannot hold is refused before any script exists', () => {
  test.each([
    ['a string', { s: NUL[1], sa: [] }],
    ['a list item', { s: 'ok', sa: ['fine', NUL[1]] }],
    ['a lone surrogate', { s: 'x\ud800y', sa: [] }],
  ])('%s', (_what, values) => {
    const render = () => registry.render('echo/bash', { n: 1, i: 1, b: true, na: [], ...values });
    expect(render).toThrow(InvalidOptionsError);
    expect(render).toThrow(/s(a\.1)?: a bash script cannot hold a NUL character/);
  });
});

describe('control: the same payloads spliced in as raw text do run', () => {
  test.each([
    ['python', "s = '{}'\n", "x'; open('pwned', 'w').close() #"],
    ['javascript', '// {}\n', 'a\u2028require("fs").writeFileSync("pwned", "")\u2029//'],
    ['bash', 's="{}"\n', '$(touch pwned)'],
    // What a plain single-quoting filter would make of '\ntouch pwned\n#', inside a comment.
    ['bash', '# {}\n', "'\ntouch pwned\n#'"],
  ])('%s', async (language, naive, payload) => {
    const check =
      language === 'python'
        ? 'import os; print(os.path.exists("pwned"))'
        : language === 'bash'
          ? '[ -e pwned ] && echo True || echo False'
          : 'console.log(require("fs").existsSync("pwned") ? "True" : "False")';
    const source = `${naive.replace('{}', payload)}${check}\n`;
    const result = await engine.run({ language, source });
    expect(result.stdout.trim().split('\n').pop()).toBe('True');
  });
});
