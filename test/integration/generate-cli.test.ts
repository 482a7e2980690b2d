/**
 * CLI contract of `scriptbox templates` and `scriptbox generate`: output on stdout (exactly one JSON object
 * with --json), typed --param values and exit 2 naming the parameter and the type it wants, user packs from
 * SCRIPTBOX_TEMPLATES replacing built-ins, and --prompt against a local chat-completions server.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli, type CliRun } from './cli-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-generate-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with no SCRIPTBOX_TEMPLATES / SCRIPTBOX_LLM_* from the outer environment. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const clean = {
    SCRIPTBOX_TEMPLATES: '',
    SCRIPTBOX_LLM_BASE_URL: '',
    SCRIPTBOX_LLM_MODEL: '',
    SCRIPTBOX_HOME: join(dir, 'home'), // each test its own library, so its cache
  };
  return runCli(args, { cwd: dir, env: { ...clean, ...env } });
}

function json(run: CliRun): Record<string, unknown> {
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('scriptbox templates', () => {
  test('list, as text and as one JSON object', async () => {
    const text = await cli(['templates']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^stats\/correlation +python +Correlation matrix/m);
    const list = json(await cli(['templates', 'list', '--json']));
    const ids = (list['templates'] as { id: string }[]).map((t) => t.id);
    expect(ids).toEqual([
      'stats/boxplot',
      'stats/correlation',
      'stats/descriptive',
      'stats/group_summary',
      'stats/histogram',
      'stats/regression',
      'stats/scatter',
      'stats/train_classifier',
    ]);
  });

  test('show, with parameters and a runnable example', async () => {
    const text = await cli(['templates', 'show', 'stats/train_classifier']);
    expect(text.stdout).toMatch(/^ {2}test_size +number +.*0\.05 to 0\.95; default 0\.25/m);
    expect(text.stdout).toMatch(/^ {2}target +string +.*required/m);
    expect(text.stdout).toContain('scriptbox generate stats/train_classifier --param file=iris.csv');
    const shown = json(await cli(['templates', 'show', 'stats/correlation', '--json']));
    expect(shown).toMatchObject({ id: 'stats/correlation', language: 'python', origin: 'builtin' });
    expect(shown['template']).toContain('METHOD = {{ method | py }}');
    const schema = shown['paramsJsonSchema'] as { properties: Record<string, { enum?: string[] }> };
    expect(schema.properties['method']?.enum).toEqual(['pearson', 'spearman', 'kendall']);
  });

  test.each([
    [
      ['templates', 'show', 'stats/nope'],
      /no template "stats\/nope" \(in pack stats: stats\/boxplot, stats\/correlation/,
    ],
    [['templates', 'show'], /templates show needs a template id/],
    [['templates', 'frob'], /unknown templates action "frob"/],
  ])('%j exits 2', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('scriptbox generate <template>', () => {
  test('typed parameters become literals; --json and --out', async () => {
    const args = [
      'generate',
      'stats/descriptive',
      '--param',
      'columns=a b,c',
      '--param',
      'quantiles=0.1,0.9',
    ];
    const text = await cli(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("COLUMNS = ['a b', 'c']\nQUANTILES = [0.1, 0.9]\n");
    const out = json(await cli([...args, '--param', 'file=it\'s "x".csv', '--json']));
    expect(out).toMatchObject({ id: 'stats/descriptive', language: 'python', fileName: 'descriptive.py' });
    expect(out['params']).toEqual({ file: 'it\'s "x".csv', columns: ['a b', 'c'], quantiles: [0.1, 0.9] });
    expect(out['source']).toContain("FILE = 'it\\'s \"x\".csv'");
    const written = await cli([...args, '--out', 'gen.py']);
    expect(written.stdout).toBe('');
    expect(written.stderr).toMatch(/wrote stats\/descriptive \(python\) to .*gen\.py/);
    expect(readFileSync(join(dir, 'gen.py'), 'utf8')).toBe(text.stdout);
  });

  test.each([
    [
      ['stats/train_classifier', '--param', 'target=y', '--param', 'test_size=abc'],
      /test_size: expected a number/,
    ],
    [
      ['stats/train_classifier', '--param', 'target=y', '--param', 'seed=1.5'],
      /seed: expected a whole number/,
    ],
    [['stats/train_classifier', '--param', 'target=y', '--param', 'test_size=2'], /test_size: Too big/],
    [['stats/train_classifier', '--param', 'target=y', '--param', 'model=svm'], /model: Invalid option/],
    [['stats/train_classifier'], /target: required \(string: Column holding the class/],
    [['stats/descriptive', '--param', 'quantiles=0.5,x'], /quantiles: expected a number/],
    [
      ['stats/descriptive', '--param', 'colums=a'],
      /colums: unknown parameter \(stats\/descriptive takes only file, columns/,
    ],
    [['stats/descriptive', '--param', 'columns'], /--param expects key=value/],
    [['stats/descriptive', '--run'], /only with --prompt: --run/],
    [[], /name a template .* or describe the script with --prompt/],
  ])('%j exits 2 naming the problem', async (args, message) => {
    const run = await cli(['generate', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  test('a user pack from SCRIPTBOX_TEMPLATES replaces a built-in id; booleans are typed', async () => {
    const pack = join(dir, 'packs', 'stats');
    mkdirSync(pack, { recursive: true });
    writeFileSync(join(pack, 'descriptive.sh.njk'), 'verbose={{ verbose | sh }}\necho {{ greeting | sh }}\n');
    const params = [
      { name: 'verbose', type: 'boolean', description: 'talk more', default: false },
      { name: 'greeting', type: 'string', description: 'what to say', default: 'hi' },
    ];
    writeFileSync(
      join(pack, 'descriptive.json'),
      JSON.stringify({ description: 'mine', language: 'bash', params }),
    );
    const env = { SCRIPTBOX_TEMPLATES: join(dir, 'packs') };
    const list = json(await cli(['templates', '--json'], env));
    expect(list['templates']).toContainEqual(
      expect.objectContaining({
        id: 'stats/descriptive',
        origin: 'user',
        overrides: [expect.stringContaining('templates/stats/descriptive.py.njk')],
      }),
    );
    const run = await cli(
      ['generate', 'stats/descriptive', '--param', 'verbose=yes', '--param', 'greeting=$(id)'],
      env,
    );
    expect(run.stdout).toBe("verbose=true\necho '$(id)'\n");
    const bad = await cli(['generate', 'stats/descriptive', '--param', 'verbose=maybe'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/verbose: expected true or false, got "maybe"/);
  });
});

describe('scriptbox generate and the library', () => {
  test('--save keeps the script under category_task_NNN; an identical request is a cache hit', async () => {
    const first = json(await cli(['generate', 'stats/descriptive', '--save', '--json']));
    expect(first['saved']).toBe('stats_descriptive_001.py');
    const again = await cli(['generate', 'stats/descriptive']);
    expect(again.stdout).toBe(first['source']);
    expect(json(await cli(['cache', 'stats', '--json']))).toMatchObject({
      entries: 1,
      hits: 1,
      misses: 1,
      byLanguage: { python: { entries: 1 } },
    });
    const listed = JSON.parse((await cli(['scripts', 'list', '--json'])).stdout) as {
      name: string;
      tags: string[];
    }[];
    expect(listed.map((script) => [script.name, script.tags])).toEqual([
      ['stats_descriptive_001.py', ['generated', 'template']],
    ]);
    const withPrompt = await cli(['generate', '--prompt', 'x', '--save'], {
      SCRIPTBOX_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      SCRIPTBOX_LLM_MODEL: 'm',
    });
    expect(withPrompt.code).toBe(2);
    expect(withPrompt.stderr).toMatch(/--save with --prompt needs --category and --task/);
  });
});

describe('scriptbox generate --prompt', () => {
  test('without a provider: exit 2, the variables to set and a matching template', async () => {
    const run = await cli(['generate', '--prompt', 'train a classifier to predict species']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/SCRIPTBOX_LLM_BASE_URL .*SCRIPTBOX_LLM_MODEL.*SCRIPTBOX_LLM_API_KEY/s);
    expect(run.stderr).toContain('scriptbox generate stats/train_classifier');
  });

  test('with --run: repairs a failing attempt and reports both; --json is one object', async () => {
    const replies = ['```python\nprint(undefined_name)\n```', '```python\nprint(\'{"answer": 42}\')\n```'];
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        const content = replies[(bodies.length - 1) % replies.length];
        const choice = { index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' };
        const reply = {
          id: 'c1',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [choice],
          usage: null,
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const env = {
      SCRIPTBOX_LLM_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      SCRIPTBOX_LLM_MODEL: 'm',
    };
    try {
      const text = await cli(['generate', '--prompt', 'the answer', '--run', '--out', 'answer.py'], env);
      expect(text.code).toBe(0);
      expect(text.stdout).toBe('{"answer": 42}\n');
      expect(text.stderr).toMatch(/attempt 1 \(model \d+ ms\): runtime · NameError: name 'undefined_name'/);
      expect(text.stderr).toMatch(/attempt 2 \(model \d+ ms\): ok · python/);
      expect(readFileSync(join(dir, 'answer.py'), 'utf8')).toBe('print(\'{"answer": 42}\')\n');
      const out = json(await cli(['generate', '--prompt', 'the answer', '--run', '--json'], env));
      expect(out['ok']).toBe(true);
      // The identical request is served from the library's cache: one attempt, and the model is not asked.
      const attempts = out['attempts'] as { ok: boolean; fromCache: boolean }[];
      expect(attempts.map((a) => [a.ok, a.fromCache])).toEqual([[true, true]]);
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toContain("NameError: name 'undefined_name' is not defined");
      const failing = await cli(['generate', '--prompt', 'x', '--run', '--max-attempts', '1'], env);
      expect(failing.code).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
