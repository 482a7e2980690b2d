/**
 * The Piston-compatible endpoints against Piston's documented requests and responses (README of
 * engineer-man/piston, API v2). No Piston client library installs here, so the shapes come from its docs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine } from '../../src/index.js';
import { openLibrary } from '../../src/library/index.js';
import type { ServiceGuard } from '../../src/access/guard-types.js';

/** A guard double that lets everyone in and records the audit. */
const audited: Array<{ action: string; target: string; details: Record<string, unknown> }> = [];
const guard: ServiceGuard = {
  tokensRequired: false,
  authenticate: () => ({ tokenId: null, name: 'anonymous' }),
  admitNetwork: () => undefined,
  admitRun: () => undefined,
  chargeCpu: () => undefined,
  audit: (_principal, action, target, details) => void audited.push({ action, target, details }),
};

let app: FastifyInstance;
let home: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-http-piston-'));
  const engine = await createEngine({ pool: { size: 1 }, limits: { timeoutMs: 5_000 } });
  app = await createServer({ engine, library: openLibrary({ home }), guard });
});
afterAll(async () => {
  await app.close();
  rmSync(home, { recursive: true, force: true });
});

const execute = (payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v2/execute', payload: payload as object });

interface PistonAnswer {
  language: string;
  version: string;
  run: { stdout: string; stderr: string; output: string; code: number | null; signal: string | null };
}

describe('GET /api/v2/runtimes', () => {
  it('lists each runtime as { language, version, aliases, runtime? } with the interpreter version', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v2/runtimes' });
    expect(res.statusCode).toBe(200);
    const runtimes =
      res.json<Array<{ language: string; version: string; aliases: string[]; runtime?: string }>>();
    const js = runtimes.find((r) => r.language === 'javascript');
    expect(js).toEqual({
      language: 'javascript',
      version: process.versions.node,
      aliases: ['js', 'node'],
      runtime: 'node',
    });
    const python = runtimes.find((r) => r.language === 'python');
    expect(python?.version).toMatch(/^3\.\d+\.\d+$/);
    expect(python?.aliases).toContain('py');
    expect(Object.keys(python ?? {}).sort()).toEqual(['aliases', 'language', 'version']);
  });
});

describe('POST /api/v2/execute', () => {
  it("answers Piston's documented example (js, args, all the limits) in Piston's shape", async () => {
    const res = await execute({
      language: 'js',
      version: '15.10.0',
      files: [{ name: 'my_cool_code.js', content: 'console.log(process.argv)' }],
      stdin: '',
      args: ['1', '2', '3'],
      compile_timeout: 10000,
      run_timeout: 3000,
      compile_cpu_time: 10000,
      run_cpu_time: 3000,
      compile_memory_limit: -1,
      run_memory_limit: -1,
    });
    expect(res.statusCode).toBe(200);
    const answer = res.json<PistonAnswer>();
    expect(answer).toMatchObject({ language: 'javascript', version: process.versions.node });
    expect(answer.run).toMatchObject({ stderr: '', code: 0, signal: null });
    // Piston's answer: [node, the script, '1', '2', '3'] as console.log prints it (paths differ).
    expect(answer.run.stdout).toMatch(/^\[\s*'[^']*node',\s*'[^']*',\s*'1',\s*'2',\s*'3'\s*\]\n$/);
    expect(answer.run.output).toBe(answer.run.stdout);
    expect(audited.at(-1)).toMatchObject({ action: 'run', target: 'javascript', details: { ok: true } });
  });

  it('runs python with stdin, args, extra input files and both output streams', async () => {
    const res = await execute({
      language: 'python',
      version: '*',
      files: [
        {
          name: 'main.py',
          content:
            'import sys\nprint(sys.argv[1:], sys.stdin.read(), open("n.txt").read())\nprint("warn", file=sys.stderr)\nsys.exit(2)',
        },
        { name: 'n.txt', content: Buffer.from('from base64').toString('base64'), encoding: 'base64' },
      ],
      stdin: 'in',
      args: ["it's", 'x y'],
    });
    const { run } = res.json<PistonAnswer>();
    expect(run).toMatchObject({
      stdout: "[\"it's\", 'x y'] in from base64\n",
      stderr: 'warn\n',
      code: 2,
      signal: null,
    });
    expect(run.output.split('\n').sort()).toEqual(['', "[\"it's\", 'x y'] in from base64", 'warn']);
  });

  it('keeps line numbers of a bash script given args', async () => {
    const res = await execute({
      language: 'sh',
      version: '*',
      files: [{ content: 'echo "$2 $1"\necho $LINENO' }],
      args: ['a', "b'c"],
    });
    expect(res.json<PistonAnswer>().run.stdout).toBe("b'c a\n2\n");
  });

  it('kills a run past run_timeout: no code, SIGKILL', async () => {
    const res = await execute({
      language: 'python',
      version: '*',
      files: [{ content: 'while True: pass' }],
      run_timeout: 300,
    });
    expect(res.json<PistonAnswer>().run).toMatchObject({ code: null, signal: 'SIGKILL', status: 'TO' });
  });

  it('puts an error found before running (syntax) on stderr with a non-zero code', async () => {
    const res = await execute({ language: 'javascript', version: '*', files: [{ content: 'let = ;' }] });
    const { run } = res.json<PistonAnswer>();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 1/);
    expect(run.output).toBe(run.stderr);
  });

  it("answers bad requests with 400 and Piston's { message }", async () => {
    const cases: Array<[unknown, string]> = [
      [{ language: 'html', version: '5.0.0', files: [{ content: '' }] }, 'html-5.0.0 runtime is unknown'],
      [{ version: '*', files: [] }, 'language is required as a string'],
      [{ language: 'py', files: [{ content: '' }] }, 'version is required as a string'],
      [{ language: 'py', version: '*' }, 'files is required as an array'],
      [
        { language: 'py', version: '*', files: [{ name: 'a.py' }] },
        'files[0].content is required as a string',
      ],
      [
        { language: 'py', version: '*', files: [{ content: '' }], run_timeout: '1s' },
        'If specified, run_timeout must be a number',
      ],
      [
        { language: 'py', version: '*', files: [{ content: '' }], run_timeout: -3 },
        'run_timeout must be non-negative',
      ],
    ];
    for (const [payload, message] of cases) {
      const res = await execute(payload);
      expect([res.statusCode, res.json()]).toEqual([400, { message }]);
    }
    const tooSmall = await execute({
      language: 'py',
      version: '*',
      files: [{ content: '' }],
      run_memory_limit: 1000,
    });
    expect([tooSmall.statusCode, tooSmall.json<{ message: string }>().message]).toEqual([
      400,
      expect.stringMatching(/^run_memory_limit: /),
    ]);
    const missing = await app.inject({ method: 'GET', url: '/api/v2/packages' });
    expect([missing.statusCode, Object.keys(missing.json())]).toEqual([404, ['message']]);
  });
});
