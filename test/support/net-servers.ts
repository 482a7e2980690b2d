/**
 * Real HTTP and HTTPS servers on 127.0.0.1 for network tests, with a throwaway test CA (made by the openssl
 * CLI in a temp dir). Nothing here is mocked: the proxy, the sandbox and the clients talk to these servers.
 *
 * API (stable; other helpers use it):
 *
 * - `createTestCa(): Promise<TestCa>`: a fresh CA in a temp dir. `ca.caFile` is the CA's PEM path (give it
 *   as the operator's `trustCaFile`), `ca.caPem` its text, `ca.issue(names)` a key + certificate for the
 *   given DNS names (and 127.0.0.1), `ca.dispose()` removes the dir.
 * - `startHttpServer(): Promise<TestServer>` and `startHttpsServer(ca, names): Promise<TestServer>`:
 *   servers on 127.0.0.1 on a free port. `server.port`, `server.url(name, path)` (e.g.
 *   `url('allowed.test', '/ok')` = `http://allowed.test:PORT/ok`), `server.requests` (every request seen:
 *   method, path, host header), `server.close()` (also closes open connections; idempotent).
 * - `startNetServers(names?): Promise<NetServers>`: CA + HTTP + HTTPS (certificate for `names`, default
 *   `['allowed.test', 'other.test']`), `resolve(name)` = `NAME:127.0.0.1` for resolver overrides,
 *   `dispose()` closes everything.
 * - `useNetServers(names?)`: the same, made in `beforeAll` and disposed in `afterAll` of the calling file;
 *   returns a getter (`const servers = useNetServers(); ... servers().https.port`).
 * - `startBlackhole(): Promise<Blackhole>`: a TCP port on 127.0.0.1 that never completes a connection (a
 *   listening socket that never accepts, with its accept queue filled): connecting hangs until the
 *   client's own timeout, deterministically (SYNs are dropped, nothing answers). `close()` ends it.
 *
 * Routes (both servers):
 *   /ok               200 `ok`
 *   /big?bytes=N      200, N bytes of `x` (streamed in 64 KiB chunks, Content-Length set)
 *   /redirect?to=URL  302 to URL
 *   /status/N         status N, body `status N`
 *   /json             200 `{"ok":true,"items":[1,2,3],"host":<Host header>}`
 *   /echo-host        200, the Host header as sent
 *   /stall            200 with headers and `started\n`, then nothing until the connection closes
 *   anything else     404 `not found`
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  caFile: string;
  caPem: string;
  issue(names: readonly string[]): Promise<{ key: string; cert: string }>;
  dispose(): Promise<void>;
}

export interface SeenRequest {
  method: string;
  path: string;
  host: string | undefined;
}

export interface TestServer {
  protocol: 'http' | 'https';
  port: number;
  url(name: string, pathname: string): string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export interface NetServers {
  ca: TestCa;
  http: TestServer;
  https: TestServer;
  names: readonly string[];
  resolve(name: string): string;
  dispose(): Promise<void>;
}

export interface Blackhole {
  port: number;
  close(): Promise<void>;
}

export async function createTestCa(): Promise<TestCa> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scriptbox-test-ca-'));
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    '/CN=scriptbox test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    dir,
    caFile,
    caPem: fs.readFileSync(caFile, 'utf8'),
    async issue(names) {
      serial += 1;
      const base = path.join(dir, `leaf-${serial}`);
      const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
      fs.writeFileSync(
        `${base}.ext`,
        `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      await run('openssl', [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        `/CN=${names[0] ?? 'localhost'}`,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        String(1000 + serial),
        '-days',
        '2',
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.pem`,
      ]);
      return { key: fs.readFileSync(`${base}.key`, 'utf8'), cert: fs.readFileSync(`${base}.pem`, 'utf8') };
    },
    dispose: async () => fs.promises.rm(dir, { recursive: true, force: true }),
  };
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest[]): void {
  const host = req.headers.host;
  seen.push({ method: req.method ?? '', path: req.url ?? '', host });
  const url = new URL(req.url ?? '/', 'http://x');
  const text = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void => {
    res.writeHead(status, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  };
  req.resume();
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (url.pathname === '/ok') return text(200, 'ok');
  if (url.pathname === '/echo-host') return text(200, host ?? '');
  if (url.pathname === '/json') {
    const body = JSON.stringify({ ok: true, items: [1, 2, 3], host: host ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  if (url.pathname === '/redirect')
    return text(302, 'redirect', { location: url.searchParams.get('to') ?? '/' });
  if (status) return text(Number(status[1]), `status ${status[1]}`);
  if (url.pathname === '/big') {
    let left = Number(url.searchParams.get('bytes') ?? '0');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
    const chunk = Buffer.alloc(65_536, 'x');
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
          return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === '/stall') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.write('started\n');
  }
  text(404, 'not found');
}

async function listen(server: http.Server, protocol: 'http' | 'https'): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => handle(req, res, requests));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closed: Promise<void> | null = null;
  return {
    protocol,
    port,
    requests,
    url: (name, pathname) => `${protocol}://${name}:${port}${pathname}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

export async function startHttpServer(): Promise<TestServer> {
  return listen(http.createServer(), 'http');
}

export async function startHttpsServer(ca: TestCa, names: readonly string[]): Promise<TestServer> {
  const { key, cert } = await ca.issue(names);
  return listen(https.createServer({ key, cert }), 'https');
}

export async function startNetServers(
  names: readonly string[] = ['allowed.test', 'other.test'],
): Promise<NetServers> {
  const ca = await createTestCa();
  const [httpServer, httpsServer] = await Promise.all([startHttpServer(), startHttpsServer(ca, names)]);
  return {
    ca,
    http: httpServer,
    https: httpsServer,
    names,
    resolve: (name) => `${name}:127.0.0.1`,
    async dispose() {
      await Promise.all([httpServer.close(), httpsServer.close()]);
      await ca.dispose();
    },
  };
}

/** Servers made before the file's tests and disposed after them; call at the top level of a test file. */
export function useNetServers(names?: readonly string[]): () => NetServers {
  let servers: NetServers | null = null;
  beforeAll(async () => {
    servers = await startNetServers(names);
  }, 60_000);
  afterAll(async () => {
    await servers?.dispose();
  });
  return () => {
    if (!servers) throw new Error('useNetServers(): the servers exist only inside tests (after beforeAll)');
    return servers;
  };
}

/**
 * A port that never completes a TCP handshake. A Python listener with backlog 0 never calls accept(); one
 * filler connection fills its accept queue, after which Linux drops every further SYN, so a connect hangs
 * until the caller gives up (no RST, no race with a timer of ours).
 */
export async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn(
    'python3',
    [
      '-c',
      'import socket,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\n' +
        'print(s.getsockname()[1],flush=True)\nsys.stdin.read()\n',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`blackhole listener exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
  });
  child.removeAllListeners('exit');
  const filler = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    filler.once('connect', resolve);
    filler.once('error', reject);
  });
  let closed: Promise<void> | null = null;
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        filler.destroy();
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin?.end();
        child.kill();
      });
      return closed;
    },
  };
}
