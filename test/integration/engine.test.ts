import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, InvalidOptionsError, UnknownRuntimeError, type Engine } from '../../src/index.js';
import { engineCgroupBase, engineCgroupDirs, ownEngineCgroups } from '../support/cgroups.js';
import { abortOnceOutput } from '../support/wait.js';

let engine: Engine;
let dir: string;
beforeAll(async () => {
  engine = await createEngine({ limits: { timeoutMs: 5_000 } });
});
afterAll(async () => {
  await engine.close();
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('engine.run in every built-in language', () => {
  it.each([
    ['python', 'import sys; print("py", sys.stdin.read().upper())'],
    ['javascript', 'process.stdin.on("data", (d) => console.log("js", String(d).toUpperCase()))'],
    [
      'javascript',
      'import { readFileSync } from "node:fs"; console.log("js", readFileSync(0, "utf8").toUpperCase())',
    ],
    [
      'typescript',
      'const input: string = require("node:fs").readFileSync(0, "utf8"); console.log("ts", (input as string).toUpperCase())',
    ],
    ['bash', 'read -r line; echo "sh ${line^^}"'],
  ])('%s reads stdin and writes stdout', async (language, source) => {
    const result = await engine.run({ language, source, stdin: 'hello' });
    expect(result.error).toBeNull();
    expect(result.stdout.trim()).toMatch(/^(py|js|ts|sh) HELLO$/);
    expect(result).toMatchObject({ ok: true, exitCode: 0, signal: null, language });
    expect(result.scriptHash).toBe(createHash('sha256').update(source).digest('hex'));
    expect(result.usage.wallMs).toBeGreaterThan(0);
    expect(result.usage.peakMemoryBytes).toBeGreaterThan(100_000);
  });

  it('runs TypeScript with enums and type-only syntax, ignoring type errors', async () => {
    const source =
      'enum Color { Red = 2, Blue }\nconst n: number = "not a number" as unknown as number;\nconsole.log(Color.Blue, n);';
    const result = await engine.run({ language: 'ts', source });
    expect(result.stdout).toBe('3 not a number\n');
  });

  it('reports syntax errors with line and column without running anything', async () => {
    const py = await engine.run({ language: 'python', source: 'print("side effect")\nif True\n  pass\n' });
    expect(py.error).toMatchObject({ kind: 'syntax', line: 2 });
    expect(py.stdout).toBe('');
    const js = await engine.run({ language: 'javascript', source: 'console.log(1)\nlet x = ;' });
    expect(js.error).toMatchObject({ kind: 'syntax', line: 2, column: 9 });
    const sh = await engine.run({ language: 'bash', source: 'echo ran > out/ran\nfor i in; do\n' });
    expect(sh.error).toMatchObject({ kind: 'syntax' });
    expect(sh.files).toEqual([]);
  });
});

describe('files', () => {
  it('places input files read-only under their base names and returns out/ files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'scriptbox-engine-'));
    const csv = join(dir, 'data.csv');
    writeFileSync(csv, 'a,b\n1,2\n3,4\n');
    const source = [
      'import csv, os',
      'rows = list(csv.DictReader(open("data.csv")))',
      'open("out/sum.txt", "w").write(str(sum(int(r["b"]) for r in rows)))',
      'os.makedirs("out/nested")',
      'open("out/nested/notes.txt", "w").write(open("notes.txt").read())',
      'try:',
      '    open("data.csv", "a").write("x")',
      'except OSError as e:',
      '    print("read-only", e.errno)',
    ].join('\n');
    const outDir = join(dir, 'results');
    const result = await engine.run({
      language: 'python',
      source,
      files: [{ path: csv }, { name: 'notes.txt', content: 'kept' }],
      outDir,
    });
    expect(result.error).toBeNull();
    expect(result.stdout).toMatch(/^read-only (30|13)\n$/);
    // Small files come back inline too (base64), with a media type from the extension.
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    expect(result.files).toEqual([
      { path: 'nested/notes.txt', bytes: 4, mediaType: 'text/plain', content: b64('kept') },
      { path: 'sum.txt', bytes: 1, mediaType: 'text/plain', content: b64('6') },
    ]);
    expect(readFileSync(join(outDir, 'sum.txt'), 'utf8')).toBe('6');
    expect(readFileSync(join(outDir, 'nested/notes.txt'), 'utf8')).toBe('kept');
    expect(readFileSync(csv, 'utf8')).toBe('a,b\n1,2\n3,4\n');
  });

  it('refuses bad input files before running, with a message naming the problem', async () => {
    await expect(
      engine.run({ language: 'python', source: '', files: [{ path: '/nonexistent/x.csv' }] }),
    ).rejects.toThrow(/cannot read input file \/nonexistent\/x\.csv/);
    await expect(
      engine.run({ language: 'python', source: '', files: [{ name: 'out', content: '' }] }),
    ).rejects.toThrow(/"out" is reserved/);
    await expect(
      engine.run({ language: 'python', source: '', files: [{ name: 'a/b', content: '' }] }),
    ).rejects.toBeInstanceOf(InvalidOptionsError);
  });
});

describe('options and lifecycle', () => {
  it('validates options and lists every problem with its path', async () => {
    const bad = { language: 'python', source: 1, limits: { timeoutMs: -5 } } as unknown as Parameters<
      Engine['run']
    >[0];
    const err = (await engine.run(bad).catch((e: unknown) => e)) as InvalidOptionsError;
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err.data['issues']).toEqual([
      expect.stringMatching(/^source: /),
      expect.stringMatching(/^limits\.timeoutMs: /),
    ]);
    await expect(engine.run({ language: 'cobol', source: '' })).rejects.toBeInstanceOf(UnknownRuntimeError);
  });

  it('cancels a run through its AbortSignal', async () => {
    // Aborted once the script says it started: the run is surely under way, whatever the machine's speed.
    const result = await engine.run({
      language: 'python',
      source: 'import time\nprint("started", flush=True)\ntime.sleep(30)',
      ...abortOnceOutput('started'),
    });
    expect(result.error?.kind).toBe('cancelled');
    expect(result.stdout).toBe('started\n');
    expect(result.usage.wallMs).toBeLessThan(3_000);
  });

  it('keeps concurrent runs apart: every result belongs to its own script', async () => {
    const runs = Array.from({ length: 12 }, (_, i) =>
      engine.run({
        language: 'python',
        source: `import time; time.sleep(${(12 - i) % 4} / 50); print(${i})`,
      }),
    );
    const results = await Promise.all(runs);
    expect(results.map((r) => r.stdout.trim())).toEqual(results.map((_, i) => String(i)));
  });

  it('runs a runtime added by configuration, with its syntax check', async () => {
    const perl = await createEngine({
      runtimes: [
        {
          name: 'perl',
          extensions: ['.pl'],
          interpreter: '/usr/bin/perl',
          syntaxCheck: ['/usr/bin/perl', '-c'],
        },
      ],
    });
    try {
      expect((await perl.run({ language: 'perl', source: 'print "p", 6*7, "\\n";' })).stdout).toBe('p42\n');
      expect((await perl.run({ language: 'perl', source: 'print "x" (;' })).error?.kind).toBe('syntax');
    } finally {
      await perl.close();
    }
  });

  it('reports a runtime whose interpreter is missing as a sandbox error that says what to do', async () => {
    const ghost = await createEngine({
      runtimes: [{ name: 'ghost', extensions: ['.gh'], interpreter: '/usr/bin/no-such-interpreter' }],
    });
    try {
      const result = await ghost.run({ language: 'ghost', source: 'x' });
      expect(result.ok).toBe(false);
      expect(result.error?.kind).toBe('sandbox');
      expect(result.error?.message).toMatch(/\/usr\/bin\/no-such-interpreter is not installed.*install it/);
    } finally {
      await ghost.close();
    }
  });

  it('reclaims the cgroups of a scriptbox process that died without closing its engine', async () => {
    // Where engines keep their parent cgroups (read from the open `engine`), as a dead one left them.
    const memoryDir = engineCgroupBase('memory');
    const deadPid = spawnSync('/bin/true').pid;
    const abandoned = join(memoryDir, `scriptbox-${deadPid}-0badc0de`);
    mkdirSync(join(abandoned, 'run-1'), { recursive: true });
    // Today's names are random ids; no live engine holds this one's lease.
    const leaseless = join(memoryDir, 'scriptbox-0badc0de0badc0de');
    mkdirSync(join(leaseless, 'sandbox-0123456789abcdef'), { recursive: true });
    const fresh = await createEngine();
    await fresh.close();
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(leaseless)).toBe(false);
  });

  it('leaves no cgroups behind after close, and refuses runs after it', async () => {
    // Engine cgroup names are random ids: this process's open engines are known by their host leases.
    const mine = (): string[] => engineCgroupDirs(ownEngineCgroups());
    const before = mine();
    const extra = await createEngine();
    await extra.run({ language: 'bash', source: 'sleep 5 & echo started', limits: { timeoutMs: 2_000 } });
    const added = mine().filter((path) => !before.includes(path));
    expect(added.length).toBeGreaterThan(0); // one parent per hierarchy (three on v1, one on v2)
    expect(new Set(added.map((path) => basename(path))).size).toBe(1); // all of the one new engine
    await extra.close();
    expect(added.filter((path) => existsSync(path))).toEqual([]);
    await expect(extra.run({ language: 'bash', source: 'true' })).rejects.toThrow(/closed/);
  });
});

describe('--unsafe-no-sandbox', () => {
  it('runs on the host in a private temporary directory with a cleared environment', async () => {
    const unsafe = await createEngine({ unsafeNoSandbox: true });
    try {
      const result = await unsafe.run({
        language: 'python',
        source: 'import os; print(os.getcwd()); print(sorted(os.environ))',
      });
      const [cwd, env] = result.stdout.split('\n');
      expect(cwd).toMatch(/scriptbox-unsafe-/);
      expect(env).not.toContain('NODE');
      expect(existsSync(cwd ?? '/')).toBe(false);
    } finally {
      await unsafe.close();
    }
  });
});
