/**
 * `scriptbox run` called the way people call programs: arguments after `--` reach the script in every
 * built-in language, `--env` sets variables (the host's stay out), piped or redirected stdin is the
 * script's stdin (an explicit --stdin wins), and a terminal or /dev/null on stdin never makes it wait.
 * Also the one-line summary of a JavaScript run that throws: the error, not Node's version line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli, succeeded, type CliRun } from './cli-process.js';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
const CLI = [process.execPath, '--import', TSX, MAIN].map(quote).join(' ');
const hasScript = spawnSync('script', ['--version']).status === 0;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-run-program-'));
  const files: Record<string, string> = {
    'args.py': 'import sys\nprint(sys.argv[1:])\n',
    'args.js': 'console.log(JSON.stringify(process.argv.slice(2)));\n',
    'args.ts': 'const rest: string[] = process.argv.slice(2);\nconsole.log(JSON.stringify(rest));\n',
    'args.sh': 'printf "%s\\n" "$#" "$@"\n',
    'env.py':
      'import os\nprint(os.environ.get("GREETING"), os.environ.get("MODE"), os.environ.get("HOST_SECRET"))\n',
    'stdin.py': 'import sys\ndata = sys.stdin.read()\nprint(len(data.splitlines()), repr(data))\n',
    'data.csv': 'a,b\n1,2\n3,4\n',
    'other.txt': 'from --stdin\n',
    'boom.js': "console.log('before');\nthrow new Error('boom');\n",
    'reject.mjs': "await Promise.reject(new TypeError('no value'));\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
});

const cli = (args: string[], stdin?: string): Promise<CliRun> =>
  runCli(args, { cwd: dir, ...(stdin !== undefined ? { stdin } : {}) });

/** Runs a shell command line (`$SCRIPTBOX` in it is the CLI) in the test dir with stdin from /dev/null. */
function shell(line: string): Promise<CliRun> {
  const child = spawn('/bin/sh', ['-c', line.replaceAll('$SCRIPTBOX', CLI)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scriptbox run -- arguments', () => {
  const ARGS = ['one', 'two words', "it's", '--json', '-x', ''];

  test('python gets them in sys.argv[1:], options after -- included', async () => {
    const run = succeeded(await cli(['run', 'args.py', '--', ...ARGS]));
    expect(run.stdout).toBe(`['one', 'two words', "it's", '--json', '-x', '']\n`);
  });

  test.each(['args.js', 'args.ts'])('%s gets them in process.argv.slice(2)', async (file) => {
    const run = succeeded(await cli(['run', file, '--', ...ARGS]));
    expect(JSON.parse(run.stdout)).toEqual(ARGS);
  });

  test('bash gets them as "$@"', async () => {
    const run = succeeded(await cli(['run', 'args.sh', '--', ...ARGS]));
    expect(run.stdout).toBe(`${ARGS.length}\n${ARGS.join('\n')}\n`);
  });

  test('the script itself is untouched: a __future__ import stays first, tracebacks keep their lines', async () => {
    writeFileSync(
      join(dir, 'future.py'),
      'from __future__ import annotations\nimport sys\nprint(sys.argv[1:])\nraise SystemExit(int("x" + sys.argv[1]))\n',
    );
    const run = await cli(['run', 'future.py', '--', '7']);
    expect(run.stdout).toBe("['7']\n");
    expect(run.stderr).toMatch(/File "main\.py", line 4/);
  });

  test('without arguments the script has none', async () => {
    expect(succeeded(await cli(['run', 'args.py'])).stdout).toBe('[]\n');
  });
});

describe('scriptbox run --env', () => {
  test('sets variables inside the sandbox; the host environment stays out', async () => {
    const run = succeeded(
      await runCli(['run', 'env.py', '--env', 'GREETING=hello world', '--env', 'MODE=a=b'], {
        cwd: dir,
        env: { HOST_SECRET: 'hunter2', GREETING: 'from the host' },
      }),
    );
    expect(run.stdout).toBe('hello world a=b None\n');
  });
});

describe('scriptbox run and stdin', () => {
  test('stdin piped by a parent process is the script stdin', async () => {
    const run = succeeded(await cli(['run', 'stdin.py'], 'a,b\n1,2\n3,4\n'));
    expect(run.stdout).toBe(`3 'a,b\\n1,2\\n3,4\\n'\n`);
  });

  test('a shell pipe (cat data.csv | scriptbox run s.py)', async () => {
    const run = succeeded(await shell('cat data.csv | $SCRIPTBOX run stdin.py'));
    expect(run.stdout).toBe(`3 'a,b\\n1,2\\n3,4\\n'\n`);
  });

  test('a redirected file (scriptbox run s.py < data.csv), with arguments too', async () => {
    const run = succeeded(await shell('$SCRIPTBOX run stdin.py -- x < data.csv'));
    expect(run.stdout).toBe(`3 'a,b\\n1,2\\n3,4\\n'\n`);
  });

  test('--stdin wins over a piped stdin', async () => {
    const run = succeeded(await shell('cat data.csv | $SCRIPTBOX run stdin.py --stdin other.txt'));
    expect(run.stdout).toBe(`1 'from --stdin\\n'\n`);
  });

  test('stdin on /dev/null or closed: the script reads nothing, nothing waits', async () => {
    expect(succeeded(await shell('$SCRIPTBOX run stdin.py < /dev/null')).stdout).toBe(`0 ''\n`);
    expect(succeeded(await shell('$SCRIPTBOX run stdin.py <&-')).stdout).toBe(`0 ''\n`);
  });

  test.skipIf(!hasScript)('stdin on a terminal is not read (needs util-linux script)', async () => {
    // `script` gives the CLI a terminal and keeps it open: reading it would never end.
    const command = `${CLI} run stdin.py`;
    const run = await shell(`script -qec ${quote(command)} /dev/null`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`0 ''`);
  });
});

describe('the summary of a JavaScript run that throws', () => {
  test('names the error, not the Node.js version line', async () => {
    const run = await cli(['run', 'boom.js']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('before\n');
    expect(run.stderr).toMatch(
      /\nscriptbox: runtime · Error: boom \(the script exited with code 1\) · javascript · /,
    );
    expect(run.stderr).not.toMatch(/scriptbox: .*Node\.js v\d/);
  });

  test('an unhandled rejection names its error', async () => {
    const run = await cli(['run', 'reject.mjs']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /\nscriptbox: runtime · TypeError: no value \(the script exited with code 1\)/,
    );
  });
});
