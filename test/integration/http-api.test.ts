import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, RunResultSchema, ScriptboxError, type RunResult } from '../../src/index.js';
import type { LlmProvider } from '../../src/generate/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { createServer } from '../../src/faces/http/server.js';

/** A test double of the guard: tokens from a table, admission switchable, every call recorded. */
function testGuard(tokens: Record<string, string>) {
  const calls = {
    admitted: [] as string[],
    charged: [] as number[],
    audit: [] as Array<{ who: string; action: string; target: string; details: Record<string, unknown> }>,
  };
  const state = { required: false, retryAfter: null as number | null };
  const guard: ServiceGuard = {
    get tokensRequired() {
      return state.required;
    },
    authenticate(header): Principal {
      const secret = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
      const name = secret === undefined ? undefined : tokens[secret];
      if (name !== undefined) return { tokenId: `id-${name}`, name };
      if (state.required || header !== undefined) throw new ScriptboxError('UNAUTHORIZED', 'need a token');
      return { tokenId: null, name: 'anonymous' };
    },
    admitRun(principal) {
      if (state.retryAfter !== null)
        throw new ScriptboxError('RATE_LIMITED', 'slow down', {
          data: { retryAfterSeconds: state.retryAfter },
        });
      calls.admitted.push(principal.name);
    },
    admitNetwork: () => undefined,
    chargeCpu(_principal, cpuMs) {
      calls.charged.push(cpuMs);
    },
    audit(principal, action, target, details) {
      calls.audit.push({ who: principal.name, action, target, details });
    },
  };
  return { guard, calls, state };
}

const fakeLlm: LlmProvider = {
  baseUrl: 'http://llm.invalid/v1',
  model: 'fake-coder',
  complete: () =>
    Promise.resolve({
      content: '```python\nprint(6 * 7)\n```',
      finishReason: 'stop',
      model: 'fake-coder',
      usage: null,
      wallMs: 1,
    }),
};

/** What the tests read of a JSON answer: an error, or any other fields. */
type Answer = { error: { code: string; message: string; issues: string[] } } & Record<string, unknown>;

const ALICE = { authorization: 'Bearer alice-secret' };
const BOB = { authorization: 'Bearer bob-secret' };
let home: string;
let library: Library;
let app: FastifyInstance;
let fake: ReturnType<typeof testGuard>;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-http-api-'));
  library = openLibrary({ home });
  const engine = await createEngine({ pool: { size: 1 }, limits: { timeoutMs: 5_000 } });
  fake = testGuard({ 'alice-secret': 'alice', 'bob-secret': 'bob' });
  app = await createServer({
    engine,
    library,
    guard: fake.guard,
    llm: fakeLlm,
    limits: { bodyBytes: 64 * 1024 },
  });
});
afterAll(async () => {
  await app.close();
  rmSync(home, { recursive: true, force: true });
});

const post = (url: string, payload: unknown, headers = ALICE) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('runs', () => {
  it('runs a script with stdin and base64 files, charging and auditing it', async () => {
    const before = fake.calls.audit.length;
    const res = await post('/v1/runs', {
      language: 'py',
      source: 'import sys\nprint(sys.stdin.read().upper(), open("data.bin","rb").read().hex())',
      stdin: 'hi',
      files: [{ name: 'data.bin', content: Buffer.from([0, 255]).toString('base64'), encoding: 'base64' }],
    });
    expect(res.statusCode).toBe(200);
    const result = res.json<RunResult>();
    // What /openapi.json documents for the answer (additionalProperties: false included).
    expect(RunResultSchema.strict().safeParse(result).error).toBeUndefined();
    expect(result.stdout).toBe('HI 00ff\n');
    expect(result.language).toBe('python');
    expect(fake.calls.audit.slice(before)).toMatchObject([
      {
        who: 'alice',
        action: 'run',
        target: 'python',
        details: { ok: true, kind: 'ok', exitCode: 0 },
      },
    ]);
    expect(fake.calls.charged.at(-1)).toBe(result.usage.cpuMs);
  });

  it('answers a failing script with 200 and ok: false, and applies the checks policy', async () => {
    const failing = await post('/v1/runs', { language: 'python', source: 'raise SystemExit(3)' });
    expect([failing.statusCode, failing.json<RunResult>().exitCode]).toEqual([200, 3]);
    const rejected = await post('/v1/runs', {
      language: 'python',
      source: 'import os\nos.system("id")',
      checks: 'strict',
    });
    const result = rejected.json<RunResult>();
    expect(result.error?.kind).toBe('rejected');
    expect(result.findings?.[0]?.rule).toMatch(/^py\//);
  });

  it('never reads host files: a {path} input is refused with its path', async () => {
    const res = await post('/v1/runs', {
      language: 'python',
      source: 'pass',
      files: [{ path: '/etc/passwd' }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<Answer>().error.issues.join('\n')).toMatch(/files\.0/);
  });

  it('runs a batch, admitted once with its whole CPU charged', async () => {
    const res = await post('/v1/batches', {
      script: { language: 'python', source: 'import json,sys\nprint(json.load(sys.stdin)["n"] * 2)' },
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
      concurrency: 2,
    });
    const batch = res.json<{
      results: Array<{ result: RunResult }>;
      summary: { succeeded: number; cpuMs: number };
    }>();
    expect(batch.results.map((r) => r.result.stdout)).toEqual(['2\n', '4\n', '6\n']);
    expect(fake.calls.charged.at(-1)).toBe(batch.summary.cpuMs);
    expect(fake.calls.audit.at(-1)).toMatchObject({ action: 'batch', details: { succeeded: 3 } });
  });
});

describe('errors', () => {
  it('validation problems are 400 with the path of each', async () => {
    const res = await post('/v1/runs', {
      language: 'python',
      source: 1,
      limits: { timeoutMs: -5 },
      extra: true,
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<{ error: { code: string; issues: string[] } }>();
    expect(error.code).toBe('INVALID_OPTIONS');
    expect(error.issues.map((issue) => issue.split(':')[0])).toEqual(
      expect.arrayContaining(['source', 'limits.timeoutMs', '(root)']),
    );
  });

  it('unknown language 400, unknown route 404, bad JSON 400, wrong type 415, too large 413: all JSON, no stack', async () => {
    const unknown = await post('/v1/runs', { language: 'cobol', source: '' });
    const route = await app.inject({ method: 'GET', url: '/v1/nothing', headers: ALICE });
    const badJson = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: '{"language":',
      headers: { ...ALICE, 'content-type': 'application/json' },
    });
    const text = await app.inject({
      method: 'POST',
      url: '/v1/runs',
      payload: 'x',
      headers: { ...ALICE, 'content-type': 'text/plain' },
    });
    const big = await post('/v1/runs', { language: 'python', source: 'x'.repeat(100 * 1024) });
    const answers = [unknown, route, badJson, text, big].map((r) => [
      r.statusCode,
      r.json<{ error: { code: string } }>().error.code,
    ]);
    expect(answers).toEqual([
      [400, 'UNKNOWN_RUNTIME'],
      [404, 'NOT_FOUND'],
      [400, 'INVALID_REQUEST'],
      [415, 'UNSUPPORTED_MEDIA_TYPE'],
      [413, 'PAYLOAD_TOO_LARGE'],
    ]);
    for (const r of [unknown, route, badJson, text, big]) expect(r.body).not.toMatch(/\n\s+at /);
  });

  it('401 with WWW-Authenticate when tokens are required; health needs none; 429 carries Retry-After', async () => {
    fake.state.required = true;
    try {
      const denied = await app.inject({ method: 'GET', url: '/v1/version' });
      expect([
        denied.statusCode,
        denied.headers['www-authenticate'],
        denied.json<Answer>().error.code,
      ]).toEqual([401, 'Bearer', 'UNAUTHORIZED']);
      expect((await app.inject({ method: 'GET', url: '/health' })).json<Answer>()).toEqual({ status: 'ok' });
      expect(
        (await app.inject({ method: 'GET', url: '/v1/version', headers: ALICE })).json<Answer>()
          .tokensRequired,
      ).toBe(true);
      fake.state.retryAfter = 7;
      const limited = await post('/v1/runs', { language: 'python', source: 'print(1)' });
      expect([limited.statusCode, limited.headers['retry-after'], limited.json<Answer>().error.code]).toEqual(
        [429, '7', 'RATE_LIMITED'],
      );
    } finally {
      fake.state.required = false;
      fake.state.retryAfter = null;
    }
  });
});

describe('sessions', () => {
  it('upload (JSON and raw bytes), list, download, run, and close; only their owner sees them', async () => {
    const created = await post('/v1/sessions', {
      language: 'python',
      files: [{ name: 'seed.txt', content: 'seed' }],
    });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    const url = `/v1/sessions/${id}`;
    const upJson = await post(`${url}/files`, { files: [{ name: 'data/a.csv', content: 'n\n1\n2\n' }] });
    expect(upJson.statusCode).toBe(200);
    const upRaw = await app.inject({
      method: 'POST',
      url: `${url}/files?name=raw.bin`,
      payload: Buffer.from([1, 2, 3]),
      headers: { ...ALICE, 'content-type': 'application/octet-stream' },
    });
    expect(upRaw.json<Answer>()).toEqual({ files: [{ path: 'raw.bin', bytes: 3 }] });
    const unnamed = await app.inject({
      method: 'POST',
      url: `${url}/files`,
      payload: Buffer.from('x'),
      headers: { ...ALICE, 'content-type': 'application/octet-stream' },
    });
    expect([unnamed.statusCode, unnamed.json<Answer>().error.issues]).toEqual([
      400,
      ['name: give ?name=<relative path> with an application/octet-stream body'],
    ]);
    const run = await post(`${url}/runs`, {
      source:
        'import csv\nrows=list(csv.DictReader(open("data/a.csv")))\nopen("sum.txt","w").write(str(sum(int(r["n"]) for r in rows)))\nprint(len(open("raw.bin","rb").read()), open("seed.txt").read())',
    });
    expect(run.json<RunResult>().stdout).toBe('3 seed\n');
    const listed = await app.inject({ method: 'GET', url: `${url}/files`, headers: ALICE });
    expect(
      listed
        .json<{ files: Array<{ path: string }> }>()
        .files.map((f) => f.path)
        .sort(),
    ).toEqual(['data/a.csv', 'raw.bin', 'seed.txt', 'sum.txt']); // a stateful session's code is not a file
    const file = await app.inject({ method: 'GET', url: `${url}/files/sum.txt`, headers: ALICE });
    expect([file.statusCode, file.headers['content-type'], file.body]).toEqual([
      200,
      'application/octet-stream',
      '3',
    ]);
    const missing = await app.inject({ method: 'GET', url: `${url}/files/nope.txt`, headers: ALICE });
    expect([missing.statusCode, missing.json<Answer>().error.code]).toEqual([404, 'FILE_NOT_FOUND']);
    const escape = await app.inject({
      method: 'GET',
      url: `${url}/files/..%2F..%2Fetc%2Fpasswd`,
      headers: ALICE,
    });
    expect(escape.statusCode).toBe(404);
    const asBob = await app.inject({ method: 'GET', url: `${url}/files`, headers: BOB });
    expect([asBob.statusCode, asBob.json<Answer>().error.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    expect((await app.inject({ method: 'DELETE', url, headers: BOB })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url, headers: ALICE })).statusCode).toBe(204);
    // Closed: 410 saying so (an id never seen stays 404).
    const closed = await post(`${url}/runs`, { source: 'print(1)' });
    expect([closed.statusCode, closed.json<Answer>().error.code]).toEqual([410, 'SESSION_CLOSED']);
  });
});

describe('library, templates, generation, checks', () => {
  it('save, list, search, show, update with a conflict, run, delete, with who and audit', async () => {
    const saved = await post('/v1/scripts', {
      category: 'math',
      task: 'double',
      language: 'python',
      source: 'import sys\nprint(int(sys.stdin.read()) * 2)',
      description: 'doubles a number',
      tags: ['demo'],
    });
    expect(saved.statusCode).toBe(201);
    const name = saved.json<{ name: string }>().name;
    expect(name).toBe('math_double_001.py');
    const list = await app.inject({
      method: 'GET',
      url: '/v1/scripts?language=python&limit=5',
      headers: ALICE,
    });
    expect(list.json<{ scripts: Array<{ name: string }> }>().scripts.map((s) => s.name)).toEqual([name]);
    const search = await app.inject({ method: 'GET', url: '/v1/scripts?q=doubles', headers: ALICE });
    expect(search.json<{ scripts: Array<{ name: string }> }>().scripts.map((s) => s.name)).toEqual([name]);
    const badLimit = await app.inject({ method: 'GET', url: '/v1/scripts?limit=many', headers: ALICE });
    expect(badLimit.json<Answer>().error.issues[0]).toMatch(/^limit:/);
    const updated = await app.inject({
      method: 'PUT',
      url: `/v1/scripts/${name}`,
      payload: { source: 'import sys\nprint(int(sys.stdin.read()) * 3)', baseVersion: 1 },
      headers: BOB,
    });
    expect(updated.json<Answer>()).toMatchObject({ version: 2, versionWho: 'bob' });
    const stale = await app.inject({
      method: 'PUT',
      url: `/v1/scripts/${name}`,
      payload: { source: 'print(0)', baseVersion: 1 },
      headers: ALICE,
    });
    expect([stale.statusCode, stale.json<Answer>().error.code]).toEqual([409, 'LIBRARY_CONFLICT']);
    const v1 = await app.inject({ method: 'GET', url: `/v1/scripts/${name}?version=1`, headers: ALICE });
    expect(v1.json<Answer>().source).toContain('* 2');
    const run = await post(`/v1/scripts/${name}/runs`, { stdin: '5' });
    expect(run.json<Answer>()).toMatchObject({
      name,
      version: 2,
      result: { stdout: '15\n' },
      run: { who: 'alice', ok: true },
    });
    const deleted = await app.inject({ method: 'DELETE', url: `/v1/scripts/${name}`, headers: ALICE });
    expect(deleted.json<Answer>()).toMatchObject({ name, versions: 2, runs: 1 });
    const gone = await app.inject({ method: 'GET', url: `/v1/scripts/${name}`, headers: ALICE });
    expect([gone.statusCode, gone.json<Answer>().error.code]).toEqual([404, 'LIBRARY_NOT_FOUND']);
    const actions = fake.calls.audit.filter((a) => a.target === name).map((a) => `${a.who} ${a.action}`);
    expect(actions).toEqual([
      'alice script.save',
      'bob script.update',
      'alice script.run',
      'alice script.delete',
    ]);
  });

  it('lists and shows templates without host paths; generates from one through the cache', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/templates', headers: ALICE });
    const templates = list.json<{ templates: Array<{ id: string; path?: string }> }>().templates;
    expect(templates.map((t) => t.id)).toContain('stats/descriptive');
    expect(templates.every((t) => t.path === undefined)).toBe(true);
    const shown = await app.inject({ method: 'GET', url: '/v1/templates/stats/descriptive', headers: ALICE });
    expect(shown.json<Answer>()).toMatchObject({
      id: 'stats/descriptive',
      paramsJsonSchema: { type: 'object' },
    });
    // An unknown template is the same mistake shown or generated from: 404 TEMPLATE_NOT_FOUND, said in routes.
    const unknown = [
      await app.inject({ method: 'GET', url: '/v1/templates/stats/nope', headers: ALICE }),
      await post('/v1/generate', { template: 'stats/nope' }),
    ].map((r) => [r.statusCode, r.json<{ error: { code: string; message: string } }>().error]);
    for (const answer of unknown) {
      expect(answer).toEqual([
        404,
        {
          code: 'TEMPLATE_NOT_FOUND',
          message: expect.stringMatching(/^no template "stats\/nope" .*; see GET \/v1\/templates$/) as string,
        },
      ]);
    }
    const badParams = await post('/v1/generate', { template: 'stats/descriptive', params: { bogus: 1 } });
    expect([badParams.statusCode, badParams.json<Answer>().error.message]).toEqual([
      400,
      expect.stringMatching(/\nsee GET \/v1\/templates\/stats\/descriptive$/),
    ]);
    const example = shown.json<{ example: Record<string, unknown> }>().example;
    const first = await post('/v1/generate', { template: 'stats/descriptive', params: example });
    const second = await post('/v1/generate', { template: 'stats/descriptive', params: example });
    expect([first.json<Answer>().cached, second.json<Answer>().cached]).toEqual([false, true]);
    expect(second.json<Answer>().source).toBe(first.json<Answer>().source);
    const stats = await app.inject({ method: 'GET', url: '/v1/cache/stats', headers: ALICE });
    expect(stats.json<Answer>()).toMatchObject({
      entries: 1,
      hits: 1,
      byLanguage: { python: { entries: 1 } },
    });
    const bad = await post('/v1/generate', { template: 'stats/descriptive', params: { nonsense: 1 } });
    expect([bad.statusCode, bad.json<Answer>().error.issues[0]]).toEqual([
      400,
      expect.stringMatching(/^nonsense: unknown parameter/),
    ]);
  });

  it('generates from a prompt with the configured model, running it when asked', async () => {
    const res = await post('/v1/generate', { prompt: 'print the answer', language: 'python', run: true });
    expect(res.json<Answer>()).toMatchObject({
      ok: true,
      source: 'print(6 * 7)\n',
      model: 'fake-coder',
      attempts: [{ run: { stdout: '42\n' } }],
    });
    expect(fake.calls.audit.at(-1)).toMatchObject({
      action: 'generate.prompt',
      details: { ok: true, attempts: 1 },
    });
    const invalid = await post('/v1/generate', { prompt: '', language: 'python' });
    expect(invalid.json<Answer>().error.issues[0]).toMatch(/^prompt:/);
  });

  it('checks a script without running it', async () => {
    const res = await post('/v1/check', {
      language: 'js',
      source: 'require("child_process").execSync("id")',
    });
    expect(res.json<Answer>()).toMatchObject({
      policy: 'strict',
      blocked: true,
      findings: [expect.objectContaining({ severity: 'error' })],
    });
  });

  it('answers version and health', async () => {
    const version = await app.inject({ method: 'GET', url: '/v1/version', headers: ALICE });
    const answer = version.json<{ version: string; runtimes: string[]; tokensRequired: boolean }>();
    expect(answer.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(answer.runtimes).toEqual(expect.arrayContaining(['python', 'bash']));
    expect(answer.tokensRequired).toBe(false);
  });
});
