/**
 * HTTP sessions as a new user meets them, on a real socket with the real guard (two API tokens): listed
 * per token and described (language, state mode, times, idle expiry, usage), runs streamed as the same
 * Server-Sent Events as one-shot runs, a run's files downloadable at the url they carry, runtime caches
 * left out of listings, and a session that ended answering 410 with when and how long it was idle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, createToken } from '../../src/access/index.js';
import { SessionInfoSchema, type SessionInfo } from '../../src/engine/session-info.js';
import { responseJsonSchema } from '../../src/faces/http/openapi.js';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine, RunResultSchema, type RunResult } from '../../src/index.js';
import { openLibrary } from '../../src/library/index.js';

let app: FastifyInstance;
let base: string;
let home: string;
const tokens = { alice: '', bob: '' };
type Who = keyof typeof tokens;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-http-sessions-'));
  const library = openLibrary({ home });
  tokens.alice = createToken(library, { name: 'alice' }).token;
  tokens.bob = createToken(library, { name: 'bob' }).token;
  const engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 20_000 } });
  app = await createServer({ engine, library, guard: createGuard({ library }) });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  rmSync(home, { recursive: true, force: true });
});

interface ErrorAnswer {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function call(who: Who, path: string, init: { method?: string; body?: unknown; accept?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens[who]}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.accept !== undefined) headers['accept'] = init.accept;
  return fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function createSession(who: Who, body: Record<string, unknown> = {}): Promise<SessionInfo> {
  const res = await call(who, '/v1/sessions', { body: { language: 'python', ...body } });
  expect(res.status).toBe(201);
  return SessionInfoSchema.parse(await res.json());
}

const info = async (who: Who, id: string): Promise<SessionInfo> =>
  SessionInfoSchema.parse(await (await call(who, `/v1/sessions/${id}`)).json());

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** Reads a Server-Sent Events body, calling `onEvent` for each event as it arrives. */
async function readEvents(res: Response, onEvent: (event: SseEvent) => Promise<void> | void = () => {}) {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  if (!res.body) throw new Error('no body');
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === undefined || data === undefined) continue; // a comment
      const parsed = { event, data: JSON.parse(data) as unknown, at: performance.now() };
      events.push(parsed);
      await onEvent(parsed);
    }
  }
  return events;
}

/**
 * What a stream said: each output stream's text joined (output may come in any number of chunks, and a
 * session holds a final newline back until it cannot be the start of its end token), and the events in
 * the order each first came, `result` last with its `ok`.
 */
function said(events: SseEvent[]): { stdout: string; stderr: string; order: string[]; ok: unknown } {
  const text = (name: string) =>
    events
      .filter((e) => e.event === name)
      .map((e) => String(e.data))
      .join('');
  const last = events.at(-1);
  return {
    stdout: text('stdout'),
    stderr: text('stderr'),
    order: [...new Set(events.map((e) => e.event))],
    ok: last?.event === 'result' ? (last.data as RunResult).ok : `last event: ${last?.event}`,
  };
}

describe('listing and describing sessions', () => {
  it("lists only the sessions created with the caller's token, each with language, times and usage", async () => {
    const before = Date.now();
    const first = await createSession('alice', { idleTimeoutMs: 120_000 });
    const second = await createSession('alice', { language: 'javascript', state: 'fresh' });
    const bobs = await createSession('bob');
    const ids = async (who: Who) =>
      (await json<{ sessions: SessionInfo[] }>(await call(who, '/v1/sessions'))).sessions.map((s) => s.id);
    expect((await ids('alice')).sort()).toEqual([first.id, second.id].sort());
    expect(await ids('bob')).toEqual([bobs.id]);
    // Another token's session is not there at all, as for an id never seen.
    const asBob = await call('bob', `/v1/sessions/${first.id}`);
    expect([asBob.status, (await json<ErrorAnswer>(asBob)).error.code]).toEqual([404, 'SESSION_NOT_FOUND']);

    expect(first).toMatchObject({ language: 'python', status: 'idle', idleTimeoutMs: 120_000 });
    // Sessions keep their state by default; `state: 'fresh'` asks for a fresh process per run.
    expect([first.state, second.language, second.state]).toEqual(['stateful', 'javascript', 'fresh']);
    expect(first.usage).toMatchObject({ runs: 0, cpuMs: 0, wallMs: 0 });
    const created = Date.parse(first.createdAt);
    expect(created).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(first.expiresAt ?? '')).toBe(Date.parse(first.lastUsedAt) + 120_000);

    // Usage adds up the runs; the work dir's bytes count what is in it.
    const big = Buffer.alloc(300_000, 7).toString('base64');
    const upload = await call('alice', `/v1/sessions/${first.id}/files`, {
      body: { files: [{ name: 'big.bin', content: big, encoding: 'base64' }] },
    });
    expect(upload.status).toBe(200);
    const results: RunResult[] = [];
    for (const source of ['print(sum(range(2_000_000)))', 'print(len(open("big.bin","rb").read()))']) {
      const res = await call('alice', `/v1/sessions/${first.id}/runs`, { body: { source } });
      results.push(await json<RunResult>(res));
    }
    expect(results.map((r) => r.stdout)).toEqual(['1999999000000\n', '300000\n']);
    const after = await info('alice', first.id);
    expect(after.usage.runs).toBe(2);
    expect(after.usage.cpuMs).toBeCloseTo((results[0]?.usage.cpuMs ?? 0) + (results[1]?.usage.cpuMs ?? 0), 6);
    expect(after.usage.wallMs).toBeCloseTo(
      (results[0]?.usage.wallMs ?? 0) + (results[1]?.usage.wallMs ?? 0),
      6,
    );
    expect(after.usage.cpuMs).toBeGreaterThan(0);
    expect(after.usage.workDirBytes).toBeGreaterThanOrEqual(300_000);
    expect(first.usage.workDirBytes ?? 0).toBeLessThan(300_000);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(first.lastUsedAt));
    expect(Date.parse(after.expiresAt ?? '')).toBe(Date.parse(after.lastUsedAt) + 120_000);

    for (const [who, id] of [
      ['alice', first.id],
      ['alice', second.id],
      ['bob', bobs.id],
    ] as const)
      expect((await call(who, `/v1/sessions/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await ids('alice')).toEqual([]);
  });

  it('documents the new routes in /openapi.json with the engine schema', async () => {
    const doc = await json<{
      paths: Record<
        string,
        Record<string, { parameters: Array<{ name: string; description?: string }>; responses: object }>
      >;
    }>(await call('alice', '/openapi.json'));
    const answer = (path: string, method: string, type = 'application/json') =>
      (
        doc.paths[path]?.[method]?.responses as Record<
          string,
          { content?: Record<string, { schema: unknown }> }
        >
      )['200']?.content?.[type]?.schema;
    expect(answer('/v1/sessions/{id}', 'get')).toEqual(responseJsonSchema(SessionInfoSchema));
    expect(answer('/v1/sessions', 'get')).toMatchObject({
      properties: { sessions: { items: responseJsonSchema(SessionInfoSchema) } },
    });
    expect(answer('/v1/sessions/{id}/runs/stream', 'post', 'text/event-stream')).toBeDefined();
    const pathParam = doc.paths['/v1/sessions/{id}/files/{path}']?.['get']?.parameters.find(
      (p) => p.name === 'path',
    );
    expect(pathParam?.description).toMatch(/relative to the session's work dir.*out\/<path>/s);
  });
});

describe('streamed session runs', () => {
  const SCRIPT =
    'import sys, time\nprint("one", flush=True)\ntime.sleep(0.8)\nprint("two\\r\\n", file=sys.stderr)';

  it('streams with Accept: text/event-stream exactly as a one-shot run streams, status running meanwhile', async () => {
    const session = await createSession('alice');
    const url = `/v1/sessions/${session.id}/runs`;
    let during: SessionInfo | undefined;
    const res = await call('alice', url, { body: { source: SCRIPT }, accept: 'text/event-stream' });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(res, async (event) => {
      if (event.event === 'stdout' && during === undefined) during = await info('alice', session.id);
    });
    const oneShot = await readEvents(
      await call('alice', '/v1/runs/stream', { body: { language: 'python', source: SCRIPT } }),
    );
    expect(said(events)).toEqual({
      stdout: 'one\n',
      stderr: 'two\r\n\n',
      order: ['stdout', 'stderr', 'result'],
      ok: true,
    });
    expect(said(events)).toEqual(said(oneShot));
    const result = events.at(-1)?.data;
    expect(RunResultSchema.safeParse(result).error).toBeUndefined();
    // The first chunk came while the script still ran, not with the result.
    expect((events.at(-1)?.at ?? 0) - (events[0]?.at ?? 0)).toBeGreaterThan(400);
    expect(during).toMatchObject({ status: 'running', expiresAt: null });
    expect(await info('alice', session.id)).toMatchObject({ status: 'idle', usage: { runs: 1 } });

    // The /stream route mirrors POST /v1/runs/stream; a JSON run is unchanged without the Accept header.
    const streamed = await readEvents(
      await call('alice', `${url}/stream`, { body: { source: 'print(6 * 7)' } }),
    );
    expect(said(streamed)).toEqual({ stdout: '42\n', stderr: '', order: ['stdout', 'result'], ok: true });
    const plain = await call('alice', url, { body: { source: 'print(1)' } });
    expect([plain.headers.get('content-type'), (await json<RunResult>(plain)).stdout]).toEqual([
      'application/json; charset=utf-8',
      '1\n',
    ]);
    // Refused before streaming: an ordinary JSON error.
    const unknown = await call('alice', `/v1/sessions/${crypto.randomUUID()}/runs/stream`, {
      body: { source: 'print(1)' },
    });
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([
      404,
      'application/json; charset=utf-8',
    ]);
    await call('alice', `/v1/sessions/${session.id}`, { method: 'DELETE' });
  });

  it('cancels a streamed run when its client goes away; the session stays usable', async () => {
    const session = await createSession('alice');
    const client = new AbortController();
    const res = await fetch(`${base}/v1/sessions/${session.id}/runs/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'import time\nprint("started", flush=True)\ntime.sleep(30)' }),
      signal: client.signal,
    });
    await readEvents(res, (event) => {
      if (event.event === 'stdout') client.abort();
    }).catch((err: unknown) => {
      if (!(err instanceof Error && err.name === 'AbortError')) throw err;
    });
    const started = performance.now();
    // Queued behind the cancelled run: it answers only once that one is gone.
    const next = await call('alice', `/v1/sessions/${session.id}/runs`, {
      body: { source: 'print("next")' },
    });
    expect((await json<RunResult>(next)).stdout).toBe('next\n');
    expect(performance.now() - started).toBeLessThan(10_000);
    await call('alice', `/v1/sessions/${session.id}`, { method: 'DELETE' });
  });
});

describe('session files', () => {
  it("downloads a run's files at the url they carry (out/<path>) and every listed path as listed; caches unlisted", async () => {
    const session = await createSession('alice');
    const files = `/v1/sessions/${session.id}/files`;
    const run = await call('alice', `/v1/sessions/${session.id}/runs`, {
      body: {
        source: [
          'import os, matplotlib.pyplot as plt',
          'os.makedirs("out/sub", exist_ok=True)',
          'plt.plot([1, 3, 2]); plt.savefig("out/chart.png")',
          'open("out/sub/data.csv", "w").write("a,b\\n1,2\\n")',
          'open("top.txt", "w").write("top")',
          'for d in (".cache", ".scriptbox-run"):',
          '    os.makedirs(d, exist_ok=True); open(d + "/mine.txt", "w").write(d)',
        ].join('\n'),
      },
    });
    const result = await json<RunResult & { files: Array<{ path: string; bytes: number; url?: string }> }>(
      run,
    );
    expect(result.ok).toBe(true);
    expect(result.files.map((f) => [f.path, f.url])).toEqual([
      ['chart.png', `${files}/out/chart.png`],
      ['sub/data.csv', `${files}/out/sub/data.csv`],
    ]);
    for (const file of result.files) {
      const res = await call('alice', file.url ?? '');
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([res.status, bytes.length], file.path).toEqual([200, file.bytes]);
      if (file.path === 'chart.png') expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    }

    const listed = (await json<{ files: Array<{ path: string; bytes: number }> }>(await call('alice', files)))
      .files;
    const paths = listed.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['out/chart.png', 'out/sub/data.csv', 'top.txt']));
    expect(paths.filter((p) => p.startsWith('.'))).toEqual([]);
    for (const file of listed) {
      const res = await call('alice', `${files}/${file.path}`);
      expect([res.status, (await res.arrayBuffer()).byteLength], file.path).toEqual([200, file.bytes]);
    }
    // Hidden, not gone: the caches are there, only the listing leaves them out.
    expect(await (await call('alice', `${files}/.cache/mine.txt`)).text()).toBe('.cache');

    // A run's path without its out/ is not found, and the answer says where the file is.
    const slip = await call('alice', `${files}/chart.png`);
    const answer = await json<ErrorAnswer>(slip);
    expect([slip.status, answer.error.code]).toEqual([404, 'FILE_NOT_FOUND']);
    expect(answer.error.message).toContain(`GET ${files}/out/chart.png`);
    await call('alice', `/v1/sessions/${session.id}`, { method: 'DELETE' });
  });
});

describe('ended sessions', () => {
  it('answers 410 with when it expired and how long it was idle; 404 for ids never seen and for others', async () => {
    const session = await createSession('alice', { idleTimeoutMs: 1_000 });
    const url = `/v1/sessions/${session.id}`;
    let res = await call('alice', url);
    // Looking at a session does not keep it alive: it expires while being polled.
    for (let i = 0; i < 100 && res.status === 200; i++) {
      await res.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
      res = await call('alice', url);
    }
    const gone = await json<ErrorAnswer>(res);
    expect([res.status, gone.error.code]).toEqual([410, 'SESSION_CLOSED']);
    expect(gone.error.message).toMatch(
      new RegExp(
        `^session ${session.id} expired at \\S+Z after being idle for 1(\\.\\d)? s .*POST /v1/sessions`,
      ),
    );
    const details = gone.error.details ?? {};
    expect(details).toMatchObject({
      id: session.id,
      language: 'python',
      expired: true,
      idleTimeoutMs: 1_000,
    });
    // (the wall clock it is read from may be a millisecond behind the timer that ended it)
    expect(details['idleMs']).toBeGreaterThanOrEqual(990);
    expect(details['idleMs']).toBeLessThan(5_000);
    expect(Date.parse(String(details['endedAt']))).toBe(
      Date.parse(String(details['lastUsedAt'])) + Number(details['idleMs']),
    );
    // Every session route says the same; the list no longer has it.
    for (const [path, body] of [
      [`${url}/runs`, { source: 'print(1)' }],
      [`${url}/runs/stream`, { source: 'print(1)' }],
      [`${url}/files`, undefined],
    ] as const) {
      const answer = await call('alice', path, { body });
      expect([answer.status, (await json<ErrorAnswer>(answer)).error.code], path).toEqual([
        410,
        'SESSION_CLOSED',
      ]);
    }
    const listed = await json<{ sessions: SessionInfo[] }>(await call('alice', '/v1/sessions'));
    expect(listed.sessions.map((s) => s.id)).not.toContain(session.id);
    // Someone else's ended session, and an id never seen: 404.
    expect((await call('bob', url)).status).toBe(404);
    const never = await call('alice', `/v1/sessions/${crypto.randomUUID()}`);
    expect([never.status, (await json<ErrorAnswer>(never)).error.code]).toEqual([404, 'SESSION_NOT_FOUND']);
  });

  it('answers 410 saying it was closed after DELETE', async () => {
    const session = await createSession('alice');
    const url = `/v1/sessions/${session.id}`;
    expect((await call('alice', url, { method: 'DELETE' })).status).toBe(204);
    for (const method of ['GET', 'DELETE']) {
      const res = await call('alice', url, { method });
      const { error } = await json<ErrorAnswer>(res);
      expect([res.status, error.code, error.details?.['expired']], method).toEqual([
        410,
        'SESSION_CLOSED',
        false,
      ]);
      expect(error.message).toMatch(/ended at \S+Z \(closed by its owner\)/);
    }
  });

  it('lets a run outlast the idle timeout: a call under way is not idleness', async () => {
    const session = await createSession('alice', { idleTimeoutMs: 1_000 });
    const res = await call('alice', `/v1/sessions/${session.id}/runs`, {
      body: { source: 'import time\ntime.sleep(1.6)\nprint("done")' },
    });
    const result = await json<RunResult>(res);
    expect([res.status, result.ok, result.stdout]).toEqual([200, true, 'done\n']);
    expect((await info('alice', session.id)).status).toBe('idle');
    await call('alice', `/v1/sessions/${session.id}`, { method: 'DELETE' });
  });
});
