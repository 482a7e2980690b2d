/**
 * Server-wide ceilings as each face says them: the engine refuses a limit above its ceiling (one check,
 * engine/ceilings.ts), and the HTTP API names `limits.memoryMb`, Piston `run_memory_limit` (in bytes), MCP
 * tools `limits.memoryMb`, the CLI `--memory`; `scriptbox serve` takes the ceilings from SCRIPTBOX_MAX_*.
 * An invalid limit is named the same way (engine/face-words.ts): `--timeout`, `run_timeout`, `limits.timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine, type Engine } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { ServiceGuard } from '../../src/access/guard-types.js';
import { createToolbox, type Toolbox } from '../../src/tools/index.js';
import { runCli } from './cli-process.js';

const guard: ServiceGuard = {
  tokensRequired: false,
  authenticate: () => ({ tokenId: null, name: 'anonymous' }),
  admitRun: () => undefined,
  admitNetwork: () => undefined,
  chargeCpu: () => undefined,
  audit: () => undefined,
};

const CEILING_MB = 128;
const MiB = 1_048_576;

let home: string;
let engine: Engine;
let library: Library;
let app: FastifyInstance;
let box: Toolbox;
const sandboxes: string[] = [];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-ceilings-'));
  engine = await createEngine({ pool: { size: 0 }, ceilings: { memoryMb: CEILING_MB, timeoutMs: 20_000 } });
  engine.events.on('sandbox:create', ({ purpose }) => sandboxes.push(purpose));
  library = openLibrary({ home });
  app = await createServer({ engine, library, guard });
  box = createToolbox({ engine, library });
});

afterAll(async () => {
  await box?.close();
  await app?.close();
  await engine?.close();
  library?.close();
  rmSync(home, { recursive: true, force: true });
});

interface ErrorAnswer {
  error: { code: string; message: string };
}

const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

describe('HTTP API', () => {
  it('POST /v1/runs above the memory ceiling: 400 naming limits.memoryMb and the ceiling, nothing started', async () => {
    const before = sandboxes.length;
    const res = await post('/v1/runs', {
      language: 'python',
      source: 'print(1)',
      limits: { memoryMb: CEILING_MB + 1 },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<ErrorAnswer>();
    expect(error.code).toBe('LIMIT_ABOVE_CEILING');
    expect(error.message).toBe(
      `limits.memoryMb: ${CEILING_MB + 1} MiB is above the server's ceiling of ${CEILING_MB} MiB; ask for at ` +
        `most ${CEILING_MB} (the ceiling is set by SCRIPTBOX_MAX_MEMORY_MB or the engine option ceilings.memoryMb)`,
    );
    expect(sandboxes.length).toBe(before);
  });

  it('POST /v1/runs at the ceiling runs', async () => {
    const res = await post('/v1/runs', {
      language: 'bash',
      source: 'echo at-ceiling',
      limits: { memoryMb: CEILING_MB },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ stdout: string }>().stdout).toBe('at-ceiling\n');
  });

  it('sessions (create and each run) and batches are held to the ceilings too', async () => {
    const created = await post('/v1/sessions', { language: 'python', limits: { memoryMb: CEILING_MB + 1 } });
    expect([created.statusCode, created.json<ErrorAnswer>().error.code]).toEqual([
      400,
      'LIMIT_ABOVE_CEILING',
    ]);
    const batch = await post('/v1/batches', {
      script: { language: 'bash', source: 'cat' },
      items: [1, 2],
      limits: { timeoutMs: 20_001 },
    });
    expect(batch.statusCode).toBe(400);
    expect(batch.json<ErrorAnswer>().error.message).toMatch(
      /^limits\.timeoutMs: 20001 ms is above .* 20000 ms/,
    );

    const session = await post('/v1/sessions', { language: 'python' });
    expect(session.statusCode).toBe(201);
    const { id } = session.json<{ id: string }>();
    try {
      const run = await post(`/v1/sessions/${id}/runs`, {
        source: 'print(1)',
        limits: { memoryMb: CEILING_MB + 1 },
      });
      expect(run.statusCode).toBe(400);
      expect(run.json<ErrorAnswer>().error.message).toMatch(/^limits\.memoryMb: 129 MiB is above/);
      // Control: the same session runs a script at the ceiling.
      const ok = await post(`/v1/sessions/${id}/runs`, {
        source: 'print("fine")',
        limits: { memoryMb: CEILING_MB },
      });
      expect(ok.json<{ stdout: string }>().stdout).toBe('fine\n');
    } finally {
      await app.inject({ method: 'DELETE', url: `/v1/sessions/${id}` });
    }
  });
});

describe('Piston API', () => {
  const execute = (extra: object) =>
    post('/api/v2/execute', {
      language: 'python',
      version: '*',
      files: [{ content: 'print(1)' }],
      ...extra,
    });

  it('run_memory_limit above the ceiling: 400 { message } naming run_memory_limit and the limit in bytes', async () => {
    const res = await execute({ run_memory_limit: (CEILING_MB + 1) * MiB });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message:
        `run_memory_limit cannot exceed the configured limit of ${CEILING_MB * MiB} (the server's ceiling ` +
        `SCRIPTBOX_MAX_MEMORY_MB=${CEILING_MB} MiB)`,
    });
  });

  it('run_timeout above the ceiling is refused in the same words; at the ceiling both run', async () => {
    const res = await execute({ run_timeout: 20_001 });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(
      /^run_timeout cannot exceed the configured limit of 20000/,
    );
    const ok = await execute({ run_timeout: 20_000, run_memory_limit: CEILING_MB * MiB });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ run: { stdout: string } }>().run.stdout).toBe('1\n');
  });
});

describe('an invalid limit names the knob of the face it came through', () => {
  it('HTTP API: limits.timeoutMs: 0 is INVALID_OPTIONS naming limits.timeoutMs', async () => {
    const res = await post('/v1/runs', { language: 'bash', source: 'echo x', limits: { timeoutMs: 0 } });
    const { error } = res.json<ErrorAnswer & { error: { issues: string[] } }>();
    expect([res.statusCode, error.code, error.issues]).toEqual([
      400,
      'INVALID_OPTIONS',
      ['limits.timeoutMs: Too small: expected number to be >=1'],
    ]);
  });

  it('Piston: run_timeout -1, and one past what scriptbox can give, name run_timeout', async () => {
    const execute = (extra: object) =>
      post('/api/v2/execute', { language: 'bash', version: '*', files: [{ content: 'echo x' }], ...extra });
    const negative = await execute({ run_timeout: -1 });
    expect([negative.statusCode, negative.json()]).toEqual([
      400,
      { message: 'run_timeout must be non-negative' },
    ]);
    // Past the engine's own range (not a ceiling): the engine's issue, said with Piston's name.
    const huge = await execute({ run_timeout: 4_000_000 });
    expect([huge.statusCode, huge.json()]).toEqual([
      400,
      { message: 'run_timeout: Too big: expected number to be <=3600000' },
    ]);
  });

  it('CLI: --timeout 0 is a usage error (exit 2) naming --timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scriptbox-knob-cli-'));
    try {
      writeFileSync(join(dir, 'hello.sh'), 'echo hello\n');
      const run = await runCli(['run', 'hello.sh', '--timeout', '0'], { cwd: dir });
      expect([run.code, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toMatch(
        /--timeout <ms>' argument '0' is invalid\. Too small: expected number to be >=1/,
      );
      expect(run.stderr).not.toMatch(/limits\.timeoutMs|run_timeout/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tools (MCP, OpenAI function calling)', () => {
  it('run_code above the ceiling is refused naming limits.memoryMb', async () => {
    const call = box.registry.call('run_code', {
      language: 'python',
      source: 'print(1)',
      limits: { memoryMb: CEILING_MB + 1 },
    });
    await expect(call).rejects.toMatchObject({ code: 'LIMIT_ABOVE_CEILING' });
    await expect(call).rejects.toThrow(/^limits\.memoryMb: 129 MiB is above the server's ceiling of 128 MiB/);
  });
});

describe('CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scriptbox-ceilings-cli-'));
    writeFileSync(join(dir, 'hello.py'), 'print("hello")\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scriptbox run --memory 999999: usage error (exit 2) naming --memory', async () => {
    const run = await runCli(['run', 'hello.py', '--memory', '999999'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--memory <MiB>' argument '999999' is invalid/);
  });

  it('scriptbox run --memory above SCRIPTBOX_MAX_MEMORY_MB: exit 2, naming --memory and the ceiling', async () => {
    const env = { SCRIPTBOX_MAX_MEMORY_MB: '200' };
    const run = await runCli(['run', 'hello.py', '--memory', '300'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'scriptbox: --memory 300 is above the ceiling of 200 MiB; pass at most --memory 200, or raise the ' +
        'ceiling with SCRIPTBOX_MAX_MEMORY_MB\n',
    );
    const atCeiling = await runCli(['run', 'hello.py', '--memory', '200'], { cwd: dir, env });
    expect([atCeiling.code, atCeiling.stdout]).toEqual([0, 'hello\n']);
  });

  it('a default limit above its ceiling is a usage error naming the variable to change', async () => {
    const env = { SCRIPTBOX_MEMORY_MB: '512', SCRIPTBOX_MAX_MEMORY_MB: '200' };
    const run = await runCli(['run', 'hello.py'], { cwd: dir, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/SCRIPTBOX_MEMORY_MB: the default 512 is above its ceiling 200/);
  });

  it('scriptbox serve takes its ceilings from SCRIPTBOX_MAX_*', async () => {
    const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
    const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '--port', '0', '--json'], {
      env: { ...process.env, SCRIPTBOX_HOME: dir, SCRIPTBOX_MAX_MEMORY_MB: '100' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'close');
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      const res = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'bash', source: 'echo x', limits: { memoryMb: 101 } }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorAnswer).error.message).toMatch(
        /^limits\.memoryMb: 101 MiB is above the server's ceiling of 100 MiB/,
      );
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
  });
});
