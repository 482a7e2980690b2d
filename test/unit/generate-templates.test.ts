/**
 * Template packs: discovery and validation of metadata, the zod schema built from `params`, typed
 * command-line values, search order (user packs replace built-ins), pack preludes, rendering, cache keys
 * and suggestions.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readEnv, resolveLlmSettings, resolveTemplateDirs } from '../../src/config.js';
import { FileNotFoundError, InvalidOptionsError } from '../../src/errors.js';
import { canonicalJson } from '../../src/generate/cache.js';
import { generateFromTemplate } from '../../src/generate/from-template.js';
import { exampleCommand, parseParamArgs } from '../../src/generate/param-args.js';
import { parseParamText, type ParamSpec } from '../../src/generate/params.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { suggestTemplates } from '../../src/generate/suggest.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-templates-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PARAMS = [
  { name: 'name', type: 'string', description: 'who', default: 'world' },
  { name: 'times', type: 'integer', description: 'how often', default: 1, min: 1, max: 5 },
];

/** Writes one template into `<dir>/<pack>/`. */
function write(pack: string, file: string, text: string, meta: Record<string, unknown> | null): void {
  mkdirSync(join(dir, pack), { recursive: true });
  writeFileSync(join(dir, pack, file), text);
  const name = file.split('.')[0] ?? file;
  if (meta) writeFileSync(join(dir, pack, `${name}.json`), JSON.stringify(meta));
}
const meta = (extra: Record<string, unknown> = {}) => ({
  description: 'greet',
  language: 'python',
  params: PARAMS,
  ...extra,
});
const load = () => createTemplateRegistry({ templateDirs: [dir], builtin: false });

describe('loading packs', () => {
  test('ids, defaults, and rendering with typed, validated parameters', () => {
    write('hello', 'greet.py.njk', 'for _ in range({{ times | py }}):\n    print({{ name | py }})\n', meta());
    const registry = load();
    expect(registry.list().map((t) => [t.id, t.language, t.extension, t.origin])).toEqual([
      ['hello/greet', 'python', '.py', 'user'],
    ]);
    const rendered = registry.render('hello/greet', { times: 2 });
    expect(rendered).toMatchObject({ fileName: 'greet.py', params: { name: 'world', times: 2 } });
    expect(rendered.source).toBe("for _ in range(2):\n    print('world')\n");
    expect(() => registry.render('hello/greet', { times: 9 })).toThrow(/times: Too big/);
    expect(() => registry.render('hello/greet', { times: '2' })).toThrow(
      /times: Invalid input: expected number/,
    );
    expect(() => registry.render('hello/greet', { nme: 'x' })).toThrow(
      /nme: unknown parameter \(hello\/greet takes only name, times\)/,
    );
    expect(() => registry.render('hello/nope', {})).toThrow(
      /no template "hello\/nope" \(in pack hello: hello\/greet\)/,
    );
  });

  test('a directory that holds templates directly is one pack named after it', () => {
    write('solo', 'run.sh.njk', 'echo {{ name | sh }}\n', meta({ language: 'sh' }));
    const registry = createTemplateRegistry({ templateDirs: [join(dir, 'solo')], builtin: false });
    expect(registry.render('solo/run', {}).source).toBe("echo 'world'\n");
  });

  const ok = '{{ name | py }}';
  test.each([
    ['no metadata', 'a.py.njk', ok, null, /a\.py\.njk: its metadata a\.json is missing/],
    ['a bad file name', 'a.njk', ok, meta(), /a\.njk: name templates <name>\.<ext>\.njk/],
    [
      'an extension for another language',
      'a.js.njk',
      ok,
      meta(),
      /a python template ends in \.py before \.njk/,
    ],
    [
      'an unknown language',
      'a.py.njk',
      ok,
      meta({ language: 'cobol' }),
      /language: "cobol" is not a built-in/,
    ],
    ['an unknown key', 'a.py.njk', ok, meta({ author: 'me' }), /Unrecognized key: "author"/],
    [
      'a default of the wrong type',
      'a.py.njk',
      ok,
      meta({ params: [{ name: 'n', type: 'number', description: 'n', default: 'x' }] }),
      /params\.0\.default: Invalid input: expected number/,
    ],
    [
      'required with a default',
      'a.py.njk',
      ok,
      meta({ params: [{ name: 'n', type: 'number', description: 'n', default: 1, required: true }] }),
      /params\.0\.default: a required parameter has no default/,
    ],
    [
      'enum on a number',
      'a.py.njk',
      ok,
      meta({ params: [{ name: 'n', type: 'number', description: 'n', enum: ['1'] }] }),
      /enum is for string and string\[\] only/,
    ],
    [
      'duplicate names',
      'a.py.njk',
      ok,
      meta({ params: [...PARAMS, PARAMS[0]] }),
      /params\.2\.name: duplicate name/,
    ],
    ['an invalid example', 'a.py.njk', ok, meta({ example: { times: 0 } }), /example\.times: Too small/],
    [
      'an unsafe template',
      'a.py.njk',
      '{{ name }}',
      meta(),
      /a\.py\.njk:1:4: output \{\{ \}\} without a literal filter/,
    ],
    [
      'an undeclared name',
      'a.py.njk',
      '{{ nmae | py }}',
      meta(),
      /rendering its defaults failed: .*got an undefined value/,
    ],
  ])('refuses %s, naming the file', (_what, file, text, metadata, message) => {
    write('bad', file, text, metadata);
    expect(load).toThrow(InvalidOptionsError);
    expect(load).toThrow(message);
  });

  test('a missing directory is named', () => {
    expect(() => createTemplateRegistry({ templateDirs: [join(dir, 'nope')] })).toThrow(FileNotFoundError);
    expect(() => createTemplateRegistry({ templateDirs: [join(dir, 'nope')] })).toThrow(
      /check SCRIPTBOX_TEMPLATES/,
    );
  });

  test('search order: user directories first, in order, then built-ins; the first id wins', () => {
    write('stats', 'descriptive.py.njk', 'print({{ name | py }})\n', meta());
    const second = mkdtempSync(join(tmpdir(), 'scriptbox-templates-2-'));
    try {
      mkdirSync(join(second, 'stats'));
      writeFileSync(join(second, 'stats', 'descriptive.sh.njk'), 'echo {{ name | sh }}\n');
      writeFileSync(join(second, 'stats', 'descriptive.json'), JSON.stringify(meta({ language: 'bash' })));
      const registry = createTemplateRegistry({ templateDirs: [dir, second] });
      const info = registry.get('stats/descriptive');
      expect(info).toMatchObject({ origin: 'user', language: 'python' });
      expect(info.overrides).toEqual([
        join(second, 'stats', 'descriptive.sh.njk'),
        expect.stringMatching(/templates\/stats\/descriptive\.py\.njk$/),
      ]);
      expect(registry.has('stats/correlation')).toBe(true);
    } finally {
      rmSync(second, { recursive: true, force: true });
    }
  });
});

describe('a pack prelude', () => {
  const PRELUDE = '# shared\ndef greet(who):\n    print("hello", who)\n';
  const greet = 'import sys\n{# prelude #}\ngreet({{ name | py }})\n';
  const shout = 'import os\n\n{# prelude #}\n\ngreet({{ name | py }} * {{ times | py }})\n';
  const withPrelude = () => {
    write('hello', 'greet.py.njk', greet, meta());
    write('hello', 'shout.py.njk', shout, meta());
    writeFileSync(join(dir, 'hello', '_prelude.py.njk'), PRELUDE);
  };

  test('is rendered once into each template of the pack, where the marker is', () => {
    withPrelude();
    const registry = load();
    expect(registry.list().map((t) => t.id)).toEqual(['hello/greet', 'hello/shout']);
    expect(registry.render('hello/greet', {}).source).toBe(`import sys\n${PRELUDE}greet('world')\n`);
    expect(registry.render('hello/shout', { times: 2 }).source).toBe(
      `import os\n\n${PRELUDE}\ngreet('world' * 2)\n`,
    );
    const shown = registry.show('hello/greet');
    expect([shown.template, shown.prelude]).toEqual([greet, PRELUDE]);
  });

  test('is nunjucks with the same parameters and the same literal filters', () => {
    write('hello', 'greet.py.njk', greet, meta());
    writeFileSync(join(dir, 'hello', '_prelude.py.njk'), 'TIMES = {{ times | py }}\n');
    expect(load().render('hello/greet', { times: 3 }).source).toBe("import sys\nTIMES = 3\ngreet('world')\n");
    writeFileSync(join(dir, 'hello', '_prelude.py.njk'), 'X = {{ name }}\n');
    expect(load).toThrow(/_prelude\.py\.njk:1:8: output \{\{ \}\} without a literal filter/);
    writeFileSync(join(dir, 'hello', '_prelude.py.njk'), 'X = {{ nmae | py }}\n');
    expect(load).toThrow(/_prelude\.py\.njk: the py filter got an undefined value/);
  });

  test('is part of the content hash: editing it is another cache key; the script stays one file', () => {
    withPrelude();
    const store = new Map<string, string>();
    const cache = {
      get: (key: string) => store.get(key),
      set: (key: string, value: string) => void store.set(key, value),
    };
    const first = generateFromTemplate(load(), { id: 'hello/greet', cache });
    expect(generateFromTemplate(load(), { id: 'hello/greet', cache }).cached).toBe(true);
    writeFileSync(join(dir, 'hello', '_prelude.py.njk'), PRELUDE.replace('hello', 'hi'));
    const edited = generateFromTemplate(load(), { id: 'hello/greet', cache });
    expect(edited.cached).toBe(false);
    expect(edited.cacheKey).not.toBe(first.cacheKey);
    expect(edited.source).toBe(`import sys\n${PRELUDE.replace('hello', 'hi')}greet('world')\n`);
    expect(edited.source).not.toMatch(/prelude|\0/);
  });

  test('a pack without a prelude is unchanged: same text, same hash, no prelude shown', () => {
    write('hello', 'greet.py.njk', 'print({{ name | py }})\n', meta());
    const registry = load();
    expect(registry.render('hello/greet', {}).source).toBe("print('world')\n");
    const metaText = JSON.stringify(meta());
    const hash = createHash('sha256').update(metaText).update('\0').update('print({{ name | py }})\n');
    expect(registry.get('hello/greet').sourceHash).toBe(hash.digest('hex'));
    expect(registry.show('hello/greet').prelude).toBeNull();
  });

  test('belongs to its own pack and extension only; nothing outside the pack is reachable', () => {
    withPrelude();
    // Another pack (no prelude; a bash template) and a file outside every pack.
    write('other', 'plain.py.njk', 'print({{ name | py }})\n', meta());
    write('other', 'run.sh.njk', 'echo {{ name | sh }}\n', meta({ language: 'bash' }));
    writeFileSync(join(dir, 'secret.txt'), 'SECRET = 1\n');
    const registry = load();
    expect(registry.render('other/plain', {}).source).toBe("print('world')\n");
    expect(registry.render('other/run', {}).source).toBe("echo 'world'\n");
    expect(registry.render('hello/greet', {}).source).not.toContain('SECRET');

    // A marker in a pack without a prelude does not borrow another pack's.
    write('other', 'plain.py.njk', '{# prelude #}\nprint({{ name | py }})\n', meta());
    expect(load).toThrow(
      /plain\.py\.njk:\n {2}a \{# prelude #\} line, but the pack has no _prelude\.py\.njk/,
    );
    write('other', 'plain.py.njk', 'print({{ name | py }})\n', meta());

    // Templates can still include, import or extend nothing: not the prelude, not a file beside or above.
    for (const reach of [
      '{% include "_prelude.py.njk" %}',
      '{% include "../secret.txt" %}',
      '{% import "/etc/passwd" as p %}',
      '{% extends "../other/plain.py.njk" %}',
    ]) {
      write('hello', 'greet.py.njk', `{# prelude #}\n${reach}\n`, meta());
      expect(load).toThrow(/greet\.py\.njk:2:\d+: (include|import|extends) is not allowed/);
    }
  });

  test.each([
    [
      'a template without the marker',
      { 'b.py.njk': 'print(1)\n' },
      /b\.py\.njk:\n.*mark where it goes with a line \{# prelude #\}/,
    ],
    [
      'two markers',
      { 'b.py.njk': '{# prelude #}\n{# prelude #}\n' },
      /2 \{# prelude #\} lines: the prelude goes in once/,
    ],
    [
      'a marker inside a block',
      { 'b.py.njk': 'x = 1\n{% if name %}\n{# prelude #}\n{% endif %}\n' },
      /b\.py\.njk:3:1: the \{# prelude #\} line must stand outside/,
    ],
    [
      'a marker inside a comment',
      { 'b.py.njk': '{#\n{# prelude #}\n#}\nx = 1\n' },
      /b\.py\.njk: the \{# prelude #\} line was rendered 0 times/,
    ],
    [
      'a marker in the prelude',
      { '_prelude.py.njk': '{# prelude #}\n' },
      /a prelude cannot hold a \{# prelude #\} line/,
    ],
    [
      'a prelude no template uses',
      { '_prelude.js.njk': 'x\n' },
      /_prelude\.js\.njk: no \.js template in this pack uses it/,
    ],
    ['a prelude that is a directory', { '_prelude.py.njk/': '' }, /_prelude\.py\.njk: a prelude is a file/],
  ])('refuses %s', (_what, files: Record<string, string>, message) => {
    withPrelude();
    for (const [file, text] of Object.entries(files)) {
      if (file.endsWith('/')) {
        rmSync(join(dir, 'hello', file.slice(0, -1)));
        mkdirSync(join(dir, 'hello', file.slice(0, -1)));
        continue;
      }
      writeFileSync(join(dir, 'hello', file), text);
      const name = file.split('.')[0] ?? file;
      if (!file.startsWith('_')) writeFileSync(join(dir, 'hello', `${name}.json`), JSON.stringify(meta()));
    }
    expect(load).toThrow(InvalidOptionsError);
    expect(load).toThrow(message);
  });

  test('a prelude directly in a directory of packs is refused, not applied to the packs', () => {
    write('hello', 'greet.py.njk', 'print({{ name | py }})\n', meta());
    writeFileSync(join(dir, '_prelude.py.njk'), 'import os\n');
    expect(load).toThrow(/_prelude\.py\.njk: a prelude belongs in a pack directory/);
  });

  test('user packs set with SCRIPTBOX_TEMPLATES have preludes too', () => {
    withPrelude();
    const dirs = resolveTemplateDirs(undefined, readEnv({ SCRIPTBOX_TEMPLATES: dir }));
    const registry = createTemplateRegistry({ templateDirs: dirs, builtin: false });
    expect(registry.get('hello/greet').origin).toBe('user');
    expect(registry.render('hello/greet', {}).source).toContain(PRELUDE);
  });

  test('the built-in stats pack: one definition of each shared helper in every script', () => {
    const registry = createTemplateRegistry({ templateDirs: [] });
    const stats = registry.list().filter((t) => t.pack === 'stats');
    expect(stats).toHaveLength(8);
    for (const template of stats) {
      const { source } = registry.render(template.id, template.example ?? {});
      for (const helper of ['clean', 'fail', 'quoted', 'kind', 'not_numeric', 'read_table']) {
        expect(source.match(new RegExp(`^def ${helper}\\(`, 'gm')), `${template.id} ${helper}`).toHaveLength(
          1,
        );
      }
      // The prelude uses these names; the script imports them before it.
      const before = source.slice(0, source.indexOf('def clean('));
      for (const name of ['import json', 'import math', 'import sys', 'import pandas as pd']) {
        expect(before, `${template.id}: ${name}`).toMatch(new RegExp(`^${name}\\b`, 'm'));
      }
      expect(registry.show(template.id).template).not.toMatch(/^def (clean|fail|quoted|kind|not_numeric)\(/m);
    }
  });
});

describe('parameters from text', () => {
  const spec = (type: ParamSpec['type']): ParamSpec => ({ name: 'p', type, description: 'p' });
  test.each([
    ['number', '-2.5e3', -2500],
    ['number', ' 0.25 ', 0.25],
    ['integer', '42', 42],
    ['boolean', 'YES', true],
    ['boolean', '0', false],
    ['string', ' kept as is ', ' kept as is '],
    ['string[]', 'a, b ,c', ['a', 'b', 'c']],
    ['string[]', '["a,b", " c"]', ['a,b', ' c']],
    ['string[]', '', []],
    ['number[]', '1, 2.5,-3', [1, 2.5, -3]],
  ] as const)('%s %j', (type, text, value) => {
    expect(parseParamText(spec(type), text)).toEqual(value);
  });

  test.each([
    ['number', '0x10', /p: expected a number, like 0\.25, got "0x10"/],
    ['number', 'Infinity', /expected a number/],
    ['number', '', /expected a number/],
    ['integer', '1.5', /p: expected a whole number, like 42/],
    ['integer', '9007199254740993', /expected a whole number/],
    ['boolean', 'maybe', /p: expected true or false/],
    ['number[]', '1,x', /p: expected a number/],
    ['number[]', '["1"]', /p: expected a comma-separated list of numbers or a JSON array/],
    ['string[]', '[1]', /expected a comma-separated list of strings/],
  ] as const)('%s %j is refused', (type, text, message) => {
    expect(() => parseParamText(spec(type), text)).toThrow(InvalidOptionsError);
    expect(() => parseParamText(spec(type), text)).toThrow(message);
  });

  test('key=value lists and example commands', () => {
    const specs: ParamSpec[] = [spec('string[]'), { ...spec('integer'), name: 'n' }];
    expect(parseParamArgs(specs, ['p=a,b', 'n=3'], 't/x')).toEqual({ p: ['a', 'b'], n: 3 });
    expect(() => parseParamArgs(specs, ['p=a', 'p=b'], 't/x')).toThrow(/--param p is given twice/);
    expect(exampleCommand('t/x', { p: ['a b', 'c,d'], n: 3 })).toBe(
      `scriptbox generate t/x --param 'p=["a b","c,d"]' --param n=3`,
    );
  });
});

describe('generation through a cache', () => {
  test('equal requests share a key; the defaults spelled out are the same request', () => {
    write('hello', 'greet.py.njk', 'print({{ name | py }} * {{ times | py }})\n', meta());
    const registry = load();
    const store = new Map<string, string>();
    const cache = {
      get: (key: string) => store.get(key),
      set: (key: string, value: string) => void store.set(key, value),
    };
    const first = generateFromTemplate(registry, { id: 'hello/greet', params: {}, cache });
    const second = generateFromTemplate(registry, {
      id: 'hello/greet',
      params: { times: 1, name: 'world' },
      cache,
    });
    const other = generateFromTemplate(registry, { id: 'hello/greet', params: { times: 2 }, cache });
    expect([first.cached, second.cached, other.cached]).toEqual([false, true, false]);
    expect(second.cacheKey).toBe(first.cacheKey);
    expect(other.cacheKey).not.toBe(first.cacheKey);
    expect(second.source).toBe(first.source);
    expect(store.size).toBe(2);

    // Another template text under the same id is another request.
    write('hello', 'greet.py.njk', 'print({{ name | py }}, {{ times | py }})\n', meta());
    const edited = generateFromTemplate(load(), { id: 'hello/greet', params: {}, cache });
    expect(edited.cached).toBe(false);
    expect(edited.source).toBe("print('world', 1)\n");
  });

  test('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: [{ z: 1, a: null }], a: 'x', u: undefined })).toBe(
      '{"a":"x","b":[{"a":null,"z":1}]}',
    );
  });
});

test('suggestions: keyword match over ids, descriptions and tags', () => {
  const builtin = createTemplateRegistry({ templateDirs: [] }).list();
  const ids = (text: string) => suggestTemplates(builtin, text).map((t) => t.id);
  expect(ids('spearman correlations between two columns')).toEqual(['stats/correlation']);
  expect(ids('classify the species with a random forest')).toEqual(['stats/train_classifier']);
  expect(ids('average and standard deviation per column')).toEqual(['stats/descriptive']);
  expect(ids('resize my photos')).toEqual([]);
});

test('environment: SCRIPTBOX_TEMPLATES and SCRIPTBOX_LLM_*, options first', () => {
  const env = readEnv({
    SCRIPTBOX_TEMPLATES: '/a::/b',
    SCRIPTBOX_LLM_BASE_URL: 'http://x/v1',
    SCRIPTBOX_LLM_MODEL: 'm',
    SCRIPTBOX_LLM_API_KEY: 'k',
  });
  expect(resolveTemplateDirs(undefined, env)).toEqual(['/a', '/b']);
  expect(resolveTemplateDirs(['/c'], env)).toEqual(['/c']);
  expect(resolveLlmSettings({ model: 'other' }, env)).toEqual({
    baseUrl: 'http://x/v1',
    model: 'other',
    apiKey: 'k',
  });
  expect(resolveLlmSettings({}, readEnv({}))).toEqual({});
});
