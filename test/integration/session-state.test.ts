/**
 * Stateful sessions (the default): runs keep their state like a notebook kernel, and a run that dies —
 * killed at a limit, a segfault, os._exit — leaves the state exactly as it was before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type Session } from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 10_000 } });
});
afterAll(async () => {
  await engine.close();
});

async function withSession<T>(language: string, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await engine.createSession({ language });
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}

describe('python', () => {
  it('keeps variables, imports and definitions between runs, and says the state was updated', async () => {
    await withSession('python', async (session) => {
      const first = await session.run({ source: 'import math\nx = 42\ndef twice(v):\n    return 2 * v' });
      expect([first.ok, first.state]).toEqual([true, 'updated']);
      const second = await session.run({ source: 'print(twice(x), math.floor(2.5))' });
      expect(second.stdout).toBe('84 2\n');
      expect(session.stateMode).toBe('stateful');
    });
  });

  it('state: fresh forgets everything between runs (a NameError), as pipelines want', async () => {
    const session = await engine.createSession({ language: 'python', state: 'fresh' });
    try {
      await session.run({ source: 'x = 42' });
      const second = await session.run({ source: 'print(x)' });
      expect(second.stderr).toMatch(/NameError: name 'x' is not defined/);
      expect(second.state).toBe('fresh');
    } finally {
      await session.close();
    }
  });

  it('the value of a final expression becomes a result item (a DataFrame as a table)', async () => {
    const session = await engine.createSession({ language: 'python', preload: ['pandas'] });
    try {
      await session.run({
        source: 'import pandas as pd\ndf = pd.DataFrame({"a": [1, 2, 3], "b": [2.0, 4.0, 7.0]})',
      });
      const shown = await session.run({ source: 'df.describe()' });
      const item = shown.outputs.find((output) => output.type === 'result');
      expect(item?.data['text/html']).toMatch(/<table/);
      expect(item?.data['text/plain']).toMatch(/mean\s+2\.0+\s+4\.33/);
      const nothing = await session.run({ source: 'y = 1' });
      expect(nothing.outputs).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it('a run that raises keeps what it did before the exception', async () => {
    await withSession('python', async (session) => {
      const failed = await session.run({ source: 'before = 1\nraise ValueError("bad")\nafter = 2' });
      expect([failed.ok, failed.exitCode, failed.state]).toEqual([false, 1, 'updated']);
      expect(failed.stderr).toMatch(/File "<cell>", line 2[\s\S]*ValueError: bad/);
      expect(failed.stderr).not.toMatch(/session_holder|session\.py/);
      const next = await session.run({ source: 'print(before, "after" in globals())' });
      expect(next.stdout).toBe('1 False\n');
    });
  });

  it.each([
    ['memory', 'x = 7\nhog = bytearray(400_000_000)', { memoryMb: 128 }, 'memory'],
    ['time', 'x = 7\nwhile True:\n    pass', { timeoutMs: 800 }, 'timeout'],
    ['CPU', 'x = 7\nwhile True:\n    pass', { cpuMs: 400 }, 'cpu'],
    ['segfault', 'x = 7\nimport ctypes\nctypes.string_at(0)', {}, 'runtime'],
    ['os._exit', 'x = 7\nimport os\nos._exit(9)', {}, 'runtime'],
  ] as const)(
    'a run killed for %s leaves the state exactly as before it',
    async (_, source, limits, kind) => {
      await withSession('python', async (session) => {
        await session.run({ source: 'x = 1\nkeep = list(range(100_000))\nimport json' });
        const killed = await session.run({ source, limits });
        expect(killed.ok).toBe(false);
        expect(killed.error?.kind).toBe(kind);
        expect(killed.state).toBe('kept');
        const after = await session.run({ source: 'print(x, len(keep), json.dumps([1]))' });
        expect(after.stdout).toBe('1 100000 [1]\n');
        expect(after.state).toBe('updated');
      });
    },
  );

  it('keeps out/ across runs; a result lists the files that run wrote or changed', async () => {
    await withSession('python', async (session) => {
      const first = await session.run({
        source: 'open("out/a.txt", "w").write("a")\nopen("out/b.txt", "w").write("b")',
      });
      expect(first.files.map((file) => file.path)).toEqual(['a.txt', 'b.txt']);
      const second = await session.run({
        source: 'open("out/b.txt", "w").write("bb")\nopen("out/c.txt", "w").write("c")',
      });
      expect(second.files.map((file) => file.path)).toEqual(['b.txt', 'c.txt']);
      const listed = (await session.listFiles()).map((file) => file.path);
      expect(listed).toEqual(expect.arrayContaining(['out/a.txt', 'out/b.txt', 'out/c.txt']));
      expect(listed.some((path) => path.startsWith('.scriptbox-run'))).toBe(false);
    });
  });

  it('gives each run its own arguments, in every state mode and language', async () => {
    for (const [language, source] of [
      ['python', 'import sys\nprint(sys.argv)'],
      ['javascript', 'console.log(JSON.stringify(process.argv.slice(1)))'],
      ['bash', 'printf "%s|" "$@"; echo'],
    ] as const) {
      for (const state of ['stateful', 'fresh'] as const) {
        const session = await engine.createSession({ language, state });
        try {
          const result = await session.run({ source, args: ['a b', "it's", ''] });
          const expected = {
            python: `['${state === 'stateful' ? '<cell>' : 'main.py'}', 'a b', "it's", '']\n`,
            javascript: `${JSON.stringify([state === 'stateful' ? '<cell>' : '/work/main.cjs', 'a b', "it's", ''])}\n`,
            bash: "a b|it's||\n",
          }[language];
          expect(result.stdout, `${language} ${state}`).toBe(expected);
          const none = await session.run({ source });
          expect(none.stdout).not.toContain('a b');
        } finally {
          await session.close();
        }
      }
    }
  });

  it('gives each run its own stdin and environment variables', async () => {
    await withSession('python', async (session) => {
      const one = await session.run({
        source: 'import sys, os\nprint(sys.stdin.read()[::-1], os.environ.get("MODE"))',
        stdin: 'abc',
        env: { MODE: 'one' },
      });
      expect(one.stdout).toBe('cba one\n');
      const two = await session.run({ source: 'import sys\nprint(repr(sys.stdin.read()))' });
      expect(two.stdout).toBe("''\n");
    });
  });

  it('kills what a run left running, and the state keeps working after it', async () => {
    await withSession('python', async (session) => {
      const spawned = await session.run({
        source: 'import subprocess\nchild = subprocess.Popen(["sleep", "60"])\ny = 5',
      });
      expect(spawned.ok).toBe(true);
      const after = await session.run({ source: 'print(y, child.poll() is not None)' });
      expect(after.stdout).toBe('5 True\n');
    });
  });
});

describe('javascript and typescript', () => {
  it('keeps declarations, requires and globals; a throw keeps what ran before it', async () => {
    await withSession('javascript', async (session) => {
      await session.run({
        source: 'let x = 42;\nconst path = require("node:path");\nfunction twice(v) { return 2 * v; }',
      });
      const second = await session.run({ source: 'console.log(twice(x), path.sep)' });
      expect(second.stdout).toBe('84 /\n');
      const thrown = await session.run({ source: 'x = 43;\nthrow new RangeError("nope")' });
      expect([thrown.ok, thrown.state]).toEqual([false, 'updated']);
      expect(thrown.stderr).toMatch(/RangeError: nope/);
      expect(thrown.stderr).not.toMatch(/session_node/);
      const value = await session.run({ source: 'x + 1' });
      expect(value.outputs).toEqual([{ type: 'result', data: { 'text/plain': '44' } }]);
    });
  });

  it('a run stopped at its time limit is interrupted, and the state stays', async () => {
    await withSession('javascript', async (session) => {
      await session.run({ source: 'globalThis.kept = "yes"' });
      const looped = await session.run({ source: 'for (;;) {}', limits: { timeoutMs: 800 } });
      expect(looped.error?.kind).toBe('timeout');
      expect(looped.state).not.toBe('reset');
      const after = await session.run({ source: 'console.log(kept)' });
      expect(after.stdout).toBe('yes\n');
    });
  });

  it('process.exit ends the run with its code, not the state; top-level await works', async () => {
    await withSession('typescript', async (session) => {
      await session.run({ source: 'const n: number = 5;\n(globalThis as any).m = n;' });
      const exited = await session.run({ source: 'process.exit(4)' });
      expect([exited.exitCode, exited.state]).toEqual([4, 'updated']);
      const awaited = await session.run({
        source: 'const v = await Promise.resolve(n * 2);\nconsole.log(v, (globalThis as any).m)',
      });
      expect(awaited.stdout).toBe('10 5\n');
      // Its declarations stay, as they would without the await (Node's REPL does the same).
      const later = await session.run({
        source: 'const { w } = await Promise.resolve({ w: v + 1 });\nconsole.log(v, w)',
      });
      expect(later.stdout).toBe('10 11\n');
    });
  });
});

describe('bash', () => {
  it('is a persistent shell: working directory, variables and functions persist; exit keeps the state', async () => {
    await withSession('bash', async (session) => {
      await session.run({ source: 'mkdir -p sub && cd sub\ncount=41\ngreet() { echo "hi $1"; }' });
      const second = await session.run({
        source: 'count=$((count + 1))\necho "$count $(basename "$PWD")"\ngreet you',
      });
      expect(second.stdout).toBe('42 sub\nhi you\n');
      const exited = await session.run({ source: 'count=0\nexit 3' });
      expect([exited.exitCode, exited.state]).toEqual([3, 'kept']);
      const after = await session.run({ source: 'echo "$count"' });
      expect(after.stdout).toBe('42\n');
      const failed = await session.run({ source: 'false' });
      expect([failed.exitCode, failed.state]).toEqual([1, 'updated']);
    });
  });
});
