/**
 * The server on a real socket (127.0.0.1, port 0) with fetch: Server-Sent Events as output comes, a client
 * that goes away cancels its run, graceful shutdown leaves no sandbox behind, and the real service guard.
 */
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { diskMarker, markedSandboxProcesses } from './sandbox-processes.js';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { ServiceGuard } from '../../src/access/guard-types.js';
import { createGuard, createToken } from '../../src/access/index.js';

/** This file's engines have a disk size no other test uses, so their bwrap command lines are recognisable. */
const DISK_MB = 27;
const sandboxProcesses = (): string[] => markedSandboxProcesses(diskMarker(DISK_MB));

/** A guard double letting everyone in, announcing each audit entry. */
function recordingGuard() {
  const audits = new EventEmitter();
  const guard: ServiceGuard = {
    tokensRequired: false,
    authenticate: () => ({ tokenId: null, name: 'anonymous' }),
    admitRun: () => undefined,
    admitNetwork: () => undefined,
    chargeCpu: () => undefined,
    audit: (_principal, action, target, details) => void audits.emit('audit', { action, target, details }),
  };
  return { guard, audits };
}

interface Started {
  app: FastifyInstance;
  engine: Engine;
  url: string;
  library: Library;
}
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(guard: (library: Library) => ServiceGuard, shutdownGraceMs = 5_000): Promise<Started> {
  const home = mkdtempSync(join(tmpdir(), 'scriptbox-http-listen-'));
  const library = openLibrary({ home });
  const engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 20_000, diskMb: DISK_MB } });
  const app = await createServer({ engine, library, guard: guard(library), limits: { shutdownGraceMs } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(async () => {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  });
  return { app, engine, url, library };
}

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** Reads a Server-Sent Events body, calling `onEvent` for each event as it arrives. */
async function readEvents(res: Response, onEvent: (event: SseEvent) => void): Promise<SseEvent[]> {
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
      onEvent(parsed);
    }
  }
  return events;
}

/** A response's JSON body, typed as what the test expects of it. */
async function jsonOf<T = { error: { code: string } }>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const postJson = (url: string, body: unknown, init: RequestInit = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });

describe('on a real socket', () => {
  it('answers JSON and streams output as Server-Sent Events as it comes', async () => {
    const { url } = await start(() => recordingGuard().guard);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    const run = await postJson(`${url}/v1/runs`, { language: 'bash', source: 'echo "a\r\nb"' });
    expect((await jsonOf<RunResult>(run)).stdout).toBe('a\r\nb\n');

    const res = await postJson(`${url}/v1/runs/stream`, {
      language: 'python',
      source:
        'import sys, time\nprint("one", flush=True)\ntime.sleep(0.8)\nprint("two\\r\\n", file=sys.stderr)',
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(res, () => undefined);
    // A stream's output may arrive in any number of chunks (print writes the text and its newline apart):
    // consecutive chunks of one stream are joined before comparing.
    const joined: [string, unknown][] = [];
    for (const e of events) {
      const data = e.event === 'result' ? (e.data as RunResult).ok : e.data;
      const last = joined.at(-1);
      if (last && last[0] === e.event && typeof data === 'string') last[1] = `${String(last[1])}${data}`;
      else joined.push([e.event, data]);
    }
    expect(joined).toEqual([
      ['stdout', 'one\n'],
      ['stderr', 'two\r\n\n'],
      ['result', true],
    ]);
    const first = events[0];
    const result = events.at(-1);
    // The first chunk came while the script still ran, not with the result.
    expect((result?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(400);
  });

  it('cancels a streamed run when its client goes away', async () => {
    const { guard, audits } = recordingGuard();
    const { url } = await start(() => guard);
    const client = new AbortController();
    const audited = once(audits, 'audit');
    const res = await postJson(
      `${url}/v1/runs/stream`,
      { language: 'python', source: 'import time\nprint("started", flush=True)\ntime.sleep(30)' },
      { signal: client.signal },
    );
    await readEvents(res, (event) => {
      if (event.event === 'stdout') client.abort();
    }).catch((err: unknown) => {
      if (!(err instanceof Error && err.name === 'AbortError')) throw err;
    });
    const [entry] = (await audited) as [{ action: string; details: { kind: string; wallMs: number } }];
    expect(entry.action).toBe('run');
    expect(entry.details.kind).toBe('cancelled');
    expect(entry.details.wallMs).toBeLessThan(10_000);
  });

  it('shuts down gracefully: short runs finish, long ones are cancelled after the grace, nothing is left', async () => {
    const { guard, audits } = recordingGuard();
    const { app, engine, url } = await start(() => guard, 1_500);
    const session = await postJson(`${url}/v1/sessions`, { language: 'python' });
    expect(session.status).toBe(201);
    const startedLong = once(audits, 'stdout-long');
    const long = postJson(`${url}/v1/runs/stream`, {
      language: 'python',
      source: 'import time\nprint("started", flush=True)\ntime.sleep(30)',
    }).then((res) => readEvents(res, (event) => event.event === 'stdout' && audits.emit('stdout-long')));
    await startedLong;
    expect(sandboxProcesses().length).toBeGreaterThan(0); // a control: the marker finds the live sandboxes
    const shortStarted = new Promise<void>((resolve) => engine.events.on('run:start', () => resolve()));
    const short = postJson(`${url}/v1/runs`, {
      language: 'python',
      source: 'import time\ntime.sleep(0.3)\nprint("done")',
    });
    await shortStarted;
    const closed = app.close();
    // New requests are refused while runs drain (the first ones may still have come in before).
    let refused: Response | undefined;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      const res = await fetch(`${url}/health`);
      if (res.status === 503) refused = res;
      else await res.text();
    }
    expect(refused && (await jsonOf(refused)).error.code).toBe('SHUTTING_DOWN');
    const shortResult = (await (await short).json()) as RunResult;
    const longEvents = await long;
    await closed;
    expect(shortResult.stdout).toBe('done\n');
    const longResult = longEvents.at(-1);
    expect(longResult?.event).toBe('result');
    expect((longResult?.data as RunResult).error?.kind).toBe('cancelled');
    expect(sandboxProcesses()).toEqual([]);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('works end to end with the real guard: tokens required once one exists, audit in the library', async () => {
    let token = '';
    const { url, library } = await start((lib) => {
      token = createToken(lib, { name: 'ci' }).token;
      return createGuard({ library: lib });
    });
    const denied = await postJson(`${url}/v1/runs`, { language: 'python', source: 'print(1)' });
    expect([
      denied.status,
      denied.headers.get('www-authenticate'),
      (await jsonOf(denied)).error.code,
    ]).toEqual([401, 'Bearer', 'UNAUTHORIZED']);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ok = await postJson(
      `${url}/v1/runs`,
      { language: 'python', source: 'print(1)' },
      { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
    );
    expect((await jsonOf<RunResult>(ok)).stdout).toBe('1\n');
    const entries = library.audit({ target: 'python' });
    expect(entries.map((e) => [e.who, e.action, e.details['ok']])).toEqual([['ci', 'run', true]]);
  });
});
