/**
 * HTTP: a one-shot run's out/ files too big to come back inline get a `url` that serves them, with the same
 * token as the run, until the files TTL passes; they live in a per-run directory under the server's data
 * dir, removed on expiry and on close (and a dead server's leftovers by the next server). Real sandboxes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, ScriptboxError, type RunResult } from '../../src/index.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import type { Principal, ServiceGuard } from '../../src/access/guard-types.js';
import { processStart } from '../../src/faces/http/run-files.js';
import { createServer, type ServerOpts } from '../../src/faces/http/server.js';
import { waitUntil } from '../support/wait.js';
import { runCli } from './cli-process.js';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const TOKENS: Record<string, string> = { 'alice-secret': 'alice', 'bob-secret': 'bob' };
const ALICE = { authorization: 'Bearer alice-secret' };
const BOB = { authorization: 'Bearer bob-secret' };

/** Tokens required: every request names alice or bob. */
const guard: ServiceGuard = {
  tokensRequired: true,
  authenticate(header): Principal {
    const name = TOKENS[/^Bearer (\S+)$/.exec(header ?? '')?.[1] ?? ''];
    if (name === undefined) throw new ScriptboxError('UNAUTHORIZED', 'a valid API token is required');
    return { tokenId: `id-${name}`, name };
  },
  admitRun: () => undefined,
  admitNetwork: () => undefined,
  chargeCpu: () => undefined,
  audit: () => undefined,
};

const servers: Array<{ app: FastifyInstance; library: Library; home: string }> = [];

async function server(runFiles?: ServerOpts['runFiles'], prepare?: (home: string) => void) {
  const home = mkdtempSync(join(tmpdir(), 'scriptbox-http-files-'));
  prepare?.(home);
  const library = openLibrary({ home });
  const engine = await createEngine({ pool: { size: 0 } });
  const app = await createServer({ engine, library, guard, ...(runFiles ? { runFiles } : {}) });
  servers.push({ app, library, home });
  return { app, home };
}

let main: { app: FastifyInstance; home: string };
beforeAll(async () => {
  main = await server();
});
afterAll(async () => {
  for (const { app, home } of servers) {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
});

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** small.txt (inline), data/big.bin (2 MiB) and `dir with space/ünï.csv` (1.5 MiB); prints their hashes. */
const WRITER = `
import hashlib, os
os.makedirs("out/data", exist_ok=True)
os.makedirs("out/dir with space", exist_ok=True)
files = {
    "small.txt": b"small",
    "data/big.bin": os.urandom(2 * 1024 * 1024),
    "dir with space/ünï.csv": b"x,y\\n" * (384 * 1024),
}
for name, data in files.items():
    with open("out/" + name, "wb") as f:
        f.write(data)
    print(name + "\\t" + hashlib.sha256(data).hexdigest())
`;

function hashes(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]),
  );
}

async function runWriter(app: FastifyInstance): Promise<RunResult> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/runs',
    payload: { language: 'python', source: WRITER },
    headers: ALICE,
  });
  expect(res.statusCode).toBe(200);
  return res.json<RunResult>();
}

/** This server's run-files directories (one per kept run) under its data dir. */
function keptRuns(home: string): string[] {
  const root = join(home, 'run-files');
  const [instance] = readdirSync(root);
  return instance === undefined
    ? []
    : readdirSync(join(root, instance)).map((id) => join(root, instance, id));
}

describe('files of one-shot HTTP runs', () => {
  it('small files are inline; bigger ones get a url that serves their exact bytes to the same token', async () => {
    const result = await runWriter(main.app);
    const written = hashes(result.stdout);
    const byPath = new Map(result.files.map((file) => [file.path, file]));
    expect(byPath.get('small.txt')).toMatchObject({ content: Buffer.from('small').toString('base64') });
    expect(byPath.get('small.txt')?.url).toBeUndefined();
    for (const path of ['data/big.bin', 'dir with space/ünï.csv']) {
      const file = byPath.get(path);
      expect(file?.content, path).toBeUndefined();
      expect(file?.url, path).toMatch(/^\/v1\/runs\/[\w-]{24}\/files\//);
      const res = await main.app.inject({ method: 'GET', url: file?.url ?? '', headers: ALICE });
      expect(res.statusCode, path).toBe(200);
      expect(sha(res.rawPayload), path).toBe(written.get(path));
      expect(res.headers['content-type'], path).toContain(
        path.endsWith('.csv') ? 'text/csv' : 'application/octet-stream',
      );
      expect(res.headers['content-disposition'], path).toMatch(/^attachment; /);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect(byPath.get('dir with space/ünï.csv')?.url).toContain('/dir%20with%20space/%C3%BCn%C3%AF.csv');
    // The run's kept files are listed under the same id, with when they go.
    const url = byPath.get('data/big.bin')?.url ?? '';
    const listUrl = url.slice(0, url.indexOf('/files/') + '/files'.length);
    const listed = await main.app.inject({ method: 'GET', url: listUrl, headers: ALICE });
    const body = listed.json<{ files: Array<{ path: string; url: string }>; expiresAt: string }>();
    expect(body.files.map((file) => [file.path, file.url]).sort()).toEqual(
      ['data/big.bin', 'dir with space/ünï.csv'].map((path) => [path, byPath.get(path)?.url]),
    );
    const ttlLeft = Date.parse(body.expiresAt) - Date.now();
    expect(ttlLeft > 3_590_000 && ttlLeft <= 3_600_000).toBe(true);
    expect((await main.app.inject({ method: 'GET', url: listUrl, headers: BOB })).statusCode).toBe(404);
    // Only the files served by url are kept, in one directory for the run.
    const [kept] = keptRuns(main.home);
    expect(readdirSync(kept ?? '').sort()).toEqual(['data', 'dir with space']);
  });

  it('another token, no token, a path the run did not keep or an unknown run: no bytes', async () => {
    const result = await runWriter(main.app);
    const url = result.files.find((file) => file.path === 'data/big.bin')?.url ?? '';
    const asBob = await main.app.inject({ method: 'GET', url, headers: BOB });
    expect(asBob.statusCode).toBe(404);
    expect(asBob.json<{ error: { code: string } }>().error.code).toBe('FILE_NOT_FOUND');
    expect((await main.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const base = url.slice(0, url.indexOf('/files/') + '/files/'.length);
    for (const other of ['small.txt', 'nope.bin', '../../etc/passwd', 'data/%2e%2e/%2e%2e/x', 'data'])
      expect(
        (await main.app.inject({ method: 'GET', url: base + other, headers: ALICE })).statusCode,
        other,
      ).toBe(404);
    const unknown = url.replace(/\/v1\/runs\/[\w-]+\//, '/v1/runs/AAAAAAAAAAAAAAAAAAAAAAAA/');
    expect((await main.app.inject({ method: 'GET', url: unknown, headers: ALICE })).statusCode).toBe(404);
  });

  it('the streamed run (SSE) gives the same urls in its result event', async () => {
    const res = await main.app.inject({
      method: 'POST',
      url: '/v1/runs/stream',
      payload: { language: 'python', source: WRITER },
      headers: ALICE,
    });
    const data = /event: result\ndata: (.*)\n/.exec(res.body)?.[1];
    const result = JSON.parse(data ?? 'null') as RunResult;
    const file = result.files.find((f) => f.path === 'data/big.bin');
    const got = await main.app.inject({ method: 'GET', url: file?.url ?? '', headers: ALICE });
    expect(got.statusCode).toBe(200);
    expect(sha(got.rawPayload)).toBe(hashes(result.stdout).get('data/big.bin'));
  });

  it('files expire after the TTL: the url answers 404 and the directory is gone', async () => {
    const { app, home } = await server({ ttlMs: 1_000 });
    const result = await runWriter(app);
    const url = result.files.find((file) => file.path === 'data/big.bin')?.url ?? '';
    expect((await app.inject({ method: 'GET', url, headers: ALICE })).statusCode).toBe(200);
    const [dir] = keptRuns(home);
    expect(dir).toBeDefined();
    await waitUntil(() => !existsSync(dir ?? ''), { what: 'the expired run files to go', timeoutMs: 5_000 });
    const gone = await app.inject({ method: 'GET', url, headers: ALICE });
    expect(gone.statusCode).toBe(404);
    expect(gone.json<{ error: { message: string } }>().error.message).toMatch(/stay 1 s after it/);
  });

  it('over the store cap, files are listed in filesSkipped with the reason instead of a url', async () => {
    const { app, home } = await server({ maxBytes: 1024 * 1024 });
    const result = await runWriter(app);
    expect(result.files.map((file) => file.path)).toEqual(['small.txt']);
    expect(result.filesSkipped.map((file) => file.path).sort()).toEqual([
      'data/big.bin',
      'dir with space/ünï.csv',
    ]);
    for (const skipped of result.filesSkipped)
      expect(skipped.reason).toMatch(
        /too big to return inline, and not kept for download \(the server keeps at most 1048576 bytes/,
      );
    expect(keptRuns(home)).toEqual([]);
  });

  it("close removes the server's files; a new server removes a dead server's leftovers, not a live one's", async () => {
    const parentStart = processStart(process.ppid);
    expect(parentStart).toMatch(/^\d+$/);
    const live = `${process.ppid}-${parentStart}-fedcba9876543210`;
    const leftovers = [
      '999999999-1-0123456789abcdef', // no such process
      `${process.ppid}-${Number(parentStart) + 1}-0123456789abcdef`, // its pid, now another process's
    ];
    const { app, home } = await server(undefined, (dataDir) => {
      for (const name of [live, ...leftovers]) {
        mkdirSync(join(dataDir, 'run-files', name, 'run'), { recursive: true });
        writeFileSync(join(dataDir, 'run-files', name, 'run', 'f'), 'left');
      }
    });
    const root = join(home, 'run-files');
    for (const name of leftovers) expect(existsSync(join(root, name)), name).toBe(false);
    expect(existsSync(join(root, live, 'run', 'f'))).toBe(true);
    await runWriter(app);
    const own = readdirSync(root).filter((name) => name.startsWith(`${process.pid}-`));
    expect(own).toHaveLength(1);
    await app.close();
    expect(readdirSync(root)).toEqual([live]);
  });

  it('OpenAPI documents the download route', async () => {
    const doc = (await main.app.inject({ method: 'GET', url: '/openapi.json', headers: ALICE })).json<{
      paths: Record<string, Record<string, { summary: string; parameters: Array<{ name: string }> }>>;
    }>();
    const op = doc.paths['/v1/runs/{id}/files/{path}']?.['get'];
    expect(op?.summary).toMatch(/same token as the run/);
    expect(op?.parameters.map((p) => p.name)).toEqual(['id', 'path']);
    expect(doc.paths['/v1/runs/{id}/files']?.['get']?.parameters.map((p) => p.name)).toEqual(['id']);
  });
});

describe('scriptbox serve --files-ttl', () => {
  it("keeps a run's files for the given seconds, serves them over real HTTP, and removes them on SIGTERM", async () => {
    const home = mkdtempSync(join(tmpdir(), 'scriptbox-serve-files-'));
    const child = spawn(
      process.execPath,
      ['--import', TSX, MAIN, 'serve', '--port', '0', '--json', '--files-ttl', '7'],
      { env: { ...process.env, SCRIPTBOX_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'close');
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      const run = await fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source: WRITER }),
      });
      const result = (await run.json()) as RunResult;
      const big = result.files.find((file) => file.path === 'data/big.bin');
      const got = await fetch(`${url}${big?.url ?? ''}`);
      expect(got.status).toBe(200);
      expect(sha(Buffer.from(await got.arrayBuffer()))).toBe(hashes(result.stdout).get('data/big.bin'));
      const listUrl = (big?.url ?? '').replace(/\/files\/.*$/, '/files');
      const listed = (await (await fetch(`${url}${listUrl}`)).json()) as { expiresAt: string };
      const left = Date.parse(listed.expiresAt) - Date.now();
      expect(left > 4_000 && left <= 7_000, `${left} ms left`).toBe(true);
      expect(keptRuns(home)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(((await exited) as [number | null])[0]).toBe(0);
    expect(readdirSync(join(home, 'run-files'))).toEqual([]);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('refuses a TTL under one second, saying what it expects', async () => {
    const run = await runCli(['serve', '--files-ttl', '0'], { cwd: tmpdir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--files-ttl.*expected at least 1 second/);
  });
});
