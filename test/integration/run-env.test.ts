/**
 * RunOpts.env: extra environment variables travel with the job and each runner (python.py, node.mjs,
 * exec.sh, the session supervisor) sets them right before the script starts, byte for byte; names that
 * scriptbox owns or that change how interpreters load code or reach the network are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  InvalidOptionsError,
  type Engine,
  type EngineEvents,
  type RunResult,
} from '../../src/index.js';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { createServer } from '../../src/faces/http/server.js';
import { openLibrary } from '../../src/library/index.js';
import { createToolbox } from '../../src/tools/index.js';
import { runCli, stdoutJson, succeeded } from './cli-process.js';

/** Values a shell would mangle if it evaluated, split or trimmed them. */
const TRICKY: Record<string, string> = {
  SPACES: '  two  words  ',
  QUOTES: `it's "quoted" \\ back\\slash`,
  NEWLINES: 'line one\nline two\n\n',
  SUBST: '$(echo EVALUATED) `echo EVALUATED` ${HOME} $HOME *',
  UNICODE: 'naïve ✓ 日本語 🚀',
  EQUALS: 'a=b=c',
  EMPTY: '',
  // Named like the exec runner's own variables: exported as given, never overwritten by the runner.
  name: 'not the runner’s name',
  check: 'not the runner’s check array',
  entry: 'not the runner’s entry',
};
const NAMES = Object.keys(TRICKY);

/** Prints each variable of NAMES, NUL-terminated (null when unset: a lone `\x01`). */
const PRINTERS: Record<string, string> = {
  python: [
    'import os, sys',
    `for name in ${JSON.stringify(NAMES)}:`,
    '    value = os.environb.get(name.encode())',
    '    sys.stdout.buffer.write((value if value is not None else b"\\x01") + b"\\0")',
  ].join('\n'),
  javascript: `for (const name of ${JSON.stringify(NAMES)}) process.stdout.write((process.env[name] ?? '\\x01') + '\\0');`,
  typescript: `const names: string[] = ${JSON.stringify(NAMES)};\nfor (const name of names) process.stdout.write((process.env[name] ?? '\\x01') + '\\0');`,
  bash: NAMES.map((name) => `printf '%s\\0' "\${${name}-$'\\x01'}"`).join('\n'),
};

function printed(result: RunResult): Record<string, string> {
  expect(result.error).toBeNull();
  const values = result.stdout.split('\0').slice(0, -1);
  return Object.fromEntries(NAMES.map((name, index) => [name, values[index] ?? '(missing)']));
}

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 10_000 } });
});
afterAll(async () => {
  await engine.close();
});

describe('engine.run with env', () => {
  it.each(Object.entries(PRINTERS))('%s sees every variable byte for byte', async (language, source) => {
    const result = await engine.run({ language, source, env: TRICKY });
    expect(printed(result)).toEqual(TRICKY);
  });

  it('sets nothing without env', async () => {
    const result = await engine.run({ language: 'bash', source: PRINTERS.bash ?? '' });
    expect(Object.values(printed(result))).toEqual(NAMES.map(() => '\x01'));
  });

  it.each([
    [
      'python',
      'import subprocess\nprint(subprocess.run(["/bin/sh", "-c", "printf %s \\"$GREETING\\""], capture_output=True, text=True).stdout)',
    ],
    [
      'javascript',
      'console.log(require("node:child_process").execFileSync("/bin/sh", ["-c", "printf %s \\"$GREETING\\""], { encoding: "utf8" }))',
    ],
    ['bash', '/bin/sh -c \'printf "%s\\n" "$GREETING"\''],
  ])('%s passes the variables on to the processes it starts', async (language, source) => {
    const result = await engine.run({ language, source, env: { GREETING: 'hello $(world)' } });
    expect(result.error).toBeNull();
    expect(result.stdout).toBe('hello $(world)\n');
  });

  it('keeps the script’s own line numbers (nothing is added to the script)', async () => {
    const result = await engine.run({
      language: 'python',
      source: 'import os\nprint(os.environ["GREETING"])\nraise ValueError("line 3")\n',
      env: { GREETING: 'hi' },
    });
    expect(result.stdout).toBe('hi\n');
    expect(result.stderr).toMatch(/line 3, in <module>/);
    const syntax = await engine.run({ language: 'python', source: 'x = 1\nif x\n', env: { A: 'b' } });
    expect(syntax.error).toMatchObject({ kind: 'syntax', line: 2 });
  });
});

describe('refused variables', () => {
  it.each([
    ['PATH', 'scriptbox sets it'],
    ['HOME', 'scriptbox sets it'],
    ['TMPDIR', 'scriptbox sets it'],
    ['MPLCONFIGDIR', 'scriptbox sets it'],
    ['SCRIPTBOX_TOKEN', 'SCRIPTBOX_'],
    ['LD_PRELOAD', 'load libraries'],
    ['PYTHONPATH', 'how Python loads code'],
    ['PYTHONSTARTUP', 'how Python loads code'],
    ['NODE_OPTIONS', 'how Node.js loads code'],
    ['http_proxy', 'egress proxy'],
    ['HTTPS_PROXY', 'egress proxy'],
    ['All_Proxy', 'egress proxy'],
    ['no_proxy', 'egress proxy'],
    ['SSL_CERT_FILE', 'certificates'],
    ['SSL_CERT_DIR', 'certificates'],
    ['REQUESTS_CA_BUNDLE', 'certificates'],
    ['CURL_CA_BUNDLE', 'certificates'],
    ['BASH_ENV', 'runs the file'],
    ['ENV', 'runs the file'],
    ['SHELLOPTS', 'how bash runs scripts'],
    ['UID', 'value of its own'],
    ['1ABC', 'not a valid variable name'],
    ['A-B', 'not a valid variable name'],
    ['', 'not a valid variable name'],
  ])('%s is refused with the reason', async (name, why) => {
    const run = engine.run({ language: 'python', source: 'print(1)', env: { [name]: 'x' } });
    await expect(run).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(run).rejects.toThrow(`env.${name}: ${name} is refused: `);
    await expect(run).rejects.toThrow(why);
  });

  it('refuses a NUL in a value, more than 64 variables, and more than 64 KiB', async () => {
    const run = (env: Record<string, string>): Promise<RunResult> =>
      engine.run({ language: 'python', source: 'print(1)', env });
    await expect(run({ A: 'x\0y' })).rejects.toThrow('env.A: A is refused: the value has a NUL character');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, '1']));
    await expect(run(many)).rejects.toThrow('65 variables; at most 64');
    await expect(run({ BIG: 'x'.repeat(65_536) })).rejects.toThrow('at most 65536 may be given');
    // At the limits, it runs.
    const most = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`V${i}`, String(i)]));
    const result = await run({ ...most });
    expect(result.error).toBeNull();
  });
});

describe('warm sandboxes', () => {
  let pooled: Engine;
  beforeAll(async () => {
    pooled = await createEngine({ pool: { size: 1 }, limits: { timeoutMs: 10_000 } });
  });
  afterAll(async () => {
    await pooled.close();
  });

  it.each(['python', 'javascript', 'bash'])(
    'a %s run on a sandbox started before its job gets its variables',
    async (language) => {
      await pooled.warm(language);
      const created: Array<EngineEvents['sandbox:create']['purpose']> = [];
      const onCreate = (event: EngineEvents['sandbox:create']): void => void created.push(event.purpose);
      pooled.events.on('sandbox:create', onCreate);
      try {
        const result = await pooled.run({ language, source: PRINTERS[language] ?? '', env: TRICKY });
        expect(printed(result)).toEqual(TRICKY);
        // The warm sandbox ran it: no sandbox was started for the run itself.
        expect(created).not.toContain('run');
      } finally {
        pooled.events.off('sandbox:create', onCreate);
      }
    },
  );
});

describe('session runs', () => {
  it.each(['python', 'javascript'])('a %s session gives each run its own variables', async (language) => {
    const session = await engine.createSession({ language });
    try {
      const source = PRINTERS[language] ?? '';
      expect(printed(await session.run({ source, env: TRICKY }))).toEqual(TRICKY);
      // The next run starts from the session's environment, not the last run's.
      const next = await session.run({ source, env: { SPACES: 'only this' } });
      expect(printed(next)).toEqual({
        ...Object.fromEntries(NAMES.map((name) => [name, '\x01'])),
        SPACES: 'only this',
      });
      const refused = Promise.resolve().then(() => session.run({ source, env: { PYTHONPATH: '/tmp' } }));
      await expect(refused).rejects.toThrow('env.PYTHONPATH: PYTHONPATH is refused');
    } finally {
      await session.close();
    }
  });
});

describe('HTTP and MCP', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'scriptbox-run-env-faces-'));
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('POST /v1/runs and /v1/sessions/:id/runs take env; a refused name is a 400 naming it', async () => {
    const guard: ServiceGuard = {
      tokensRequired: false,
      authenticate: (): Principal => ({ tokenId: null, name: 'anonymous' }),
      admitRun: () => undefined,
      admitNetwork: () => undefined,
      chargeCpu: () => undefined,
      audit: () => undefined,
    };
    // The server owns its engine (closing it closes the engine).
    const serverEngine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 10_000 } });
    const app = await createServer({ engine: serverEngine, library: openLibrary({ home }), guard });
    try {
      const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });
      const source = PRINTERS.python ?? '';
      const run = await post('/v1/runs', { language: 'python', source, env: TRICKY });
      expect(run.statusCode).toBe(200);
      expect(printed(run.json<RunResult>())).toEqual(TRICKY);
      const refused = await post('/v1/runs', { language: 'python', source, env: { NODE_OPTIONS: '-r x' } });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).toContain('env.NODE_OPTIONS: NODE_OPTIONS is refused');
      const session = await post('/v1/sessions', { language: 'python' });
      const { id } = session.json<{ id: string }>();
      const sessionRun = await post(`/v1/sessions/${id}/runs`, { source, env: TRICKY });
      expect(printed(sessionRun.json<RunResult>())).toEqual(TRICKY);
    } finally {
      await app.close();
    }
  });

  it('the run_code tool takes env', async () => {
    const box = createToolbox({ engine, library: openLibrary({ home }) });
    try {
      const source = PRINTERS.bash ?? '';
      const result = (await box.registry.call('run_code', {
        language: 'bash',
        source,
        env: TRICKY,
      })) as RunResult;
      expect(printed(result)).toEqual(TRICKY);
      await expect(
        box.registry.call('run_code', { language: 'bash', source, env: { BASH_ENV: '/x' } }),
      ).rejects.toThrow('env.BASH_ENV: BASH_ENV is refused');
    } finally {
      await box.close();
    }
  });
});

describe('scriptbox run --env', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scriptbox-run-env-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the script each --env, the last one for a name winning', async () => {
    const run = succeeded(
      await runCli(
        ['run', '-', '--lang', 'bash', '--json', '--env', 'A=one', '--env', 'B=x=$(y) z', '--env', 'A=two'],
        { cwd: dir, stdin: 'printf "%s|%s" "$A" "$B"' },
      ),
    );
    expect(stdoutJson(run)).toMatchObject({ ok: true, stdout: 'two|x=$(y) z' });
  });

  it('refuses a name scriptbox owns as a usage error, naming it', async () => {
    const run = await runCli(['run', '-', '--lang', 'bash', '--env', 'LD_PRELOAD=/x.so'], {
      cwd: dir,
      stdin: 'true',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--env.*LD_PRELOAD is refused: LD_\* names change how programs load libraries/,
    );
    const bare = await runCli(['run', '-', '--lang', 'bash', '--env', 'NOVALUE'], {
      cwd: dir,
      stdin: 'true',
    });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/expected NAME=VALUE/);
  });
});
