/**
 * Contract tests for `scriptbox scripts ...`: JSON shapes, exit codes,
 * messages, and delete's confirmation (asked on a terminal, --yes required without one).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { askYesNo } from '../../src/faces/cli/scripts.js';
import { runCli as runProcess, stdoutJson as json, succeeded, type CliRun } from './cli-process.js';
import { onTerminal } from './fixtures/terminal.js';

let dir: string;
let home: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-cli-scripts-'));
  home = join(dir, 'home');
  writeFileSync(join(dir, 'add.py'), 'print(1 + 2)\n');
  writeFileSync(join(dir, 'add2.py'), 'print(40 + 2)\n');
  writeFileSync(join(dir, 'fail.py'), 'import sys\nsys.exit(3)\n');
  writeFileSync(join(dir, 'add.js'), 'console.log(1 + 2);\n');
  writeFileSync(join(dir, 'notes.rb'), 'puts 1\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const terminal = (): { cwd: string; env: Record<string, string> } => ({
  cwd: dir,
  env: { SCRIPTBOX_HOME: home },
});

function cli(args: string[]): Promise<CliRun> {
  return runProcess(args, { cwd: dir, env: { SCRIPTBOX_HOME: home } });
}

const ok = async (args: string[]): Promise<CliRun> => succeeded(await cli(args));
const SAVE = ['scripts', 'save', 'add.py', '--category', 'math', '--task', 'addition'];
const STACK_FRAME = /^\s+at .+[(:]/m;

const SUMMARY_KEYS = [
  'category',
  'createdAt',
  'currentVersion',
  'description',
  'language',
  'name',
  'number',
  'tags',
  'task',
  'updatedAt',
];
const RECORD_KEYS = [
  ...SUMMARY_KEYS,
  'note',
  'sha256',
  'source',
  'version',
  'versionCreatedAt',
  'versionWho',
];

describe('scripts save, list, show, update, search', () => {
  // About twenty CLI processes one after another: slow while other files build instrumented trees.
  test('--json shapes and human output', { timeout: 150_000 }, async () => {
    const saved = json(
      await ok([...SAVE, '--description', 'adds numbers', '--tags', 'math, Basic', '--json']),
    );
    expect(Object.keys(saved as object).sort()).toEqual([...RECORD_KEYS].sort());
    expect(saved).toMatchObject({
      name: 'math_addition_001.py',
      category: 'math',
      task: 'addition',
      number: 1,
      language: 'python',
      description: 'adds numbers',
      tags: ['math', 'basic'],
      version: 1,
      currentVersion: 1,
      source: 'print(1 + 2)\n',
      sha256: createHash('sha256').update('print(1 + 2)\n').digest('hex'),
      note: null,
    });

    // The same source again is the script already saved, not a copy.
    const again = await ok(SAVE);
    expect(again.stdout).toBe('math_addition_001.py\n');
    expect(again.stderr).toBe(
      'scriptbox: already saved as math_addition_001.py (same source; nothing new saved)\n',
    );
    const second = await ok(['scripts', 'save', 'add2.py', '--category', 'math', '--task', 'addition']);
    expect(second.stdout).toBe('math_addition_002.py\n');
    expect(second.stderr).toBe('scriptbox: saved math_addition_002.py (python, version 1)\n');
    expect((await ok(['scripts', 'save', 'add.js', '--category', 'math', '--task', 'addition'])).stdout).toBe(
      'math_addition_003.js\n',
    );

    const list = json(await ok(['scripts', 'list', '--json'])) as object[];
    expect(list.map((s) => Object.keys(s).sort())).toEqual([SUMMARY_KEYS, SUMMARY_KEYS, SUMMARY_KEYS]);
    expect((await ok(['scripts', 'list', '--lang', 'js'])).stdout).toBe('math_addition_003.js  v1  \n');
    expect((await ok(['scripts', 'list'])).stdout.split('\n')[0]).toBe(
      'math_addition_001.py  v1  adds numbers',
    );

    const updated = json(
      await ok([
        'scripts',
        'update',
        'math_addition_001.py',
        '--file',
        'add2.py',
        '--note',
        'better',
        '--json',
      ]),
    );
    expect(updated).toMatchObject({
      name: 'math_addition_001.py',
      version: 2,
      currentVersion: 2,
      note: 'better',
    });

    const shown = await ok(['scripts', 'show', 'math_addition_001.py']);
    expect(shown.stdout).toBe('print(40 + 2)\n');
    expect(shown.stderr).toMatch(/^scriptbox: math_addition_001\.py · python · version 2 of 2 · by \S+ at /);
    const old = json(await ok(['scripts', 'show', 'math_addition_001.py', '--version', '1', '--json']));
    expect(old).toMatchObject({ version: 1, currentVersion: 2, source: 'print(1 + 2)\n' });
    expect((old as { versions: { n: number; note: string | null }[] }).versions).toEqual([
      expect.objectContaining({ n: 1, note: null }),
      expect.objectContaining({ n: 2, note: 'better' }),
    ]);

    const hits = json(await ok(['scripts', 'search', 'adds', '--json'])) as { name: string }[];
    expect(hits.map((hit) => hit.name)).toEqual(['math_addition_001.py']);
    expect(Object.keys(hits[0] ?? {}).sort()).toEqual([...SUMMARY_KEYS, 'score', 'snippet'].sort());
    expect((await ok(['scripts', 'search', 'NEAR(', '"*', '--json'])).stdout).toBe('[]\n');
    const none = await ok(['scripts', 'search', 'nothing']);
    expect([none.stdout, none.stderr]).toEqual(['', 'scriptbox: no script matches "nothing"\n']);
  });
});

describe('scripts run and history', () => {
  test('runs a library script in the sandbox and records each run', async () => {
    await ok(SAVE);
    const first = json(await ok(['scripts', 'run', 'math_addition_001.py', '--json', '--timeout', '5000']));
    expect(first).toMatchObject({
      ok: true,
      language: 'python',
      stdout: '3\n',
      exitCode: 0,
      error: null,
      scriptHash: createHash('sha256').update('print(1 + 2)\n').digest('hex'),
      script: { name: 'math_addition_001.py', version: 1 },
    });

    await ok(['scripts', 'update', 'math_addition_001.py', '--file', 'fail.py']);
    const failed = await cli(['scripts', 'run', 'math_addition_001.py']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^scriptbox: math_addition_001\.py v2: runtime · /m);

    const older = await cli(['scripts', 'run', 'math_addition_001.py', '--version', '1']);
    expect([older.code, older.stdout]).toEqual([0, '3\n']);

    const history = json(await ok(['scripts', 'history', 'math_addition_001.py', '--json'])) as {
      version: number;
      kind: string;
      ok: boolean;
      exitCode: number | null;
    }[];
    expect(history.map((run) => [run.version, run.kind, run.ok, run.exitCode])).toEqual([
      [1, 'ok', true, 0],
      [2, 'runtime', false, 3],
      [1, 'ok', true, 0],
    ]);
  });
});

describe('errors exit 2 with what to do', () => {
  test.each([
    ['show', ['scripts', 'show', 'math_nope_001.py']],
    ['show --json', ['scripts', 'show', 'math_nope_001.py', '--json']],
    ['update', ['scripts', 'update', 'math_nope_001.py', '--file', 'add.py']],
    ['delete', ['scripts', 'delete', 'math_nope_001.py', '--yes']],
    ['run', ['scripts', 'run', 'math_nope_001.py']],
    ['history', ['scripts', 'history', 'math_nope_001.py']],
  ])('an unknown name: %s', async (_what, args) => {
    const run = await cli(args);
    expect([run.code, run.stdout, run.stderr]).toEqual([
      2,
      '',
      'scriptbox: no script named math_nope_001.py; see `scriptbox scripts list`\n',
    ]);
  });

  test.each([
    [
      'a path as a name',
      ['scripts', 'show', '../etc/passwd'],
      /invalid script name "\.\.\/etc\/passwd": it looks like a path; expected category_task_NNN\.ext, e\.g\. math_addition_001\.py/,
    ],
    ['a malformed name', ['scripts', 'run', 'math_addition_1.py'], /e\.g\. math_addition_001\.py/],
    [
      'save without --category',
      ['scripts', 'save', 'add.py', '--task', 'x'],
      /required option '--category <category>'/,
    ],
    [
      'a bad category',
      ['scripts', 'save', 'add.py', '--category', 'Ma th', '--task', 'x'],
      /category: a lowercase letter/,
    ],
    [
      'an unknown language',
      ['scripts', 'save', 'notes.rb', '--category', 'a', '--task', 'b'],
      /cannot tell the language of notes\.rb/,
    ],
    [
      'a missing file',
      ['scripts', 'save', 'nope.py', '--category', 'a', '--task', 'b'],
      /cannot read script file nope\.py: no such file/,
    ],
    ['an unknown option', ['scripts', 'list', '--bogus'], /unknown option '--bogus'/],
    [
      'version 0',
      ['scripts', 'show', 'math_addition_001.py', '--version', '0'],
      /'--version <n>' argument '0' is invalid/,
    ],
    ['no subcommand', ['scripts'], /Usage: scriptbox scripts/],
  ])('%s', async (_what, args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
  });

  test('an update from a file in another language', async () => {
    await ok(SAVE);
    const run = await cli(['scripts', 'update', 'math_addition_001.py', '--file', 'add.js']);
    expect([run.code, run.stderr]).toEqual([
      2,
      'scriptbox: math_addition_001.py is a python script, but add.js looks like javascript\n',
    ]);
  });
});

describe('scripts delete', () => {
  test('without a terminal it needs --yes; with --yes it deletes', async () => {
    await ok(SAVE);
    const refused = await cli(['scripts', 'delete', 'math_addition_001.py']);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      'scriptbox: not deleting math_addition_001.py: there is no terminal to confirm on; pass --yes\n',
    ]);
    await ok(['scripts', 'show', 'math_addition_001.py']);
    const deleted = json(await ok(['scripts', 'delete', 'math_addition_001.py', '--yes', '--json']));
    expect(deleted).toEqual({ name: 'math_addition_001.py', versions: 1, runs: 0 });
    expect((await ok(['scripts', 'list', '--json'])).stdout).toBe('[]\n');
  });

  const hasScript = existsSync('/usr/bin/script');
  test.skipIf(!hasScript)(
    'on a terminal it asks, and only y or yes deletes (needs util-linux script)',
    async () => {
      await ok(SAVE);
      const no = await onTerminal(['scripts', 'delete', 'math_addition_001.py'], 'n', terminal());
      expect(no.code).toBe(1);
      expect(no.output).toContain('delete math_addition_001.py? [y/N]');
      expect(no.output).toContain('kept math_addition_001.py');
      await ok(['scripts', 'show', 'math_addition_001.py']);
      const yes = await onTerminal(['scripts', 'delete', 'math_addition_001.py'], 'yes', terminal());
      expect(yes.code).toBe(0);
      expect(yes.output).toContain('deleted math_addition_001.py (1 version, 0 runs)');
      expect((await ok(['scripts', 'list', '--json'])).stdout).toBe('[]\n');
    },
  );
});

describe('askYesNo', () => {
  test.each([
    ['y\n', true],
    ['YES\n', true],
    [' yes \n', true],
    ['n\n', false],
    ['\n', false],
    ['yess\n', false],
    ['', false],
  ])('%j -> %s', async (input, expected) => {
    const stdin = new PassThrough();
    const output = new PassThrough();
    const answer = askYesNo('delete x? [y/N] ', stdin, output);
    stdin.end(input);
    expect(await answer).toBe(expected);
    expect(String(output.read())).toContain('delete x? [y/N] ');
  });
});
