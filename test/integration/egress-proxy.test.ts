/**
 * The real EgressProxy over its Unix socket, driven by real clients (node http, raw sockets + tls.connect,
 * a SOCKS5 handshake by hand) against real HTTP/HTTPS servers on 127.0.0.1 (test/support/net-servers.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AllowList } from '../../src/network/allowlist.js';
import { DEFAULT_NETWORK_LIMITS, type NetworkLimits } from '../../src/network/limits.js';
import { EgressProxy, type EgressEvent } from '../../src/network/proxy.js';
import { Resolver } from '../../src/network/resolver.js';
import { startBlackhole, useNetServers, type Blackhole } from '../support/net-servers.js';

const servers = useNetServers(['allowed.test', 'other.test']);
let blackhole: Blackhole;
beforeAll(async () => {
  blackhole = await startBlackhole();
});
afterAll(async () => {
  await blackhole.close();
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scriptbox-egress-test-'));
let counter = 0;
const open: EgressProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Started {
  proxy: EgressProxy;
  socketPath: string;
  events: EgressEvent[];
}

async function startProxy(
  opts: {
    allow?: (s: ReturnType<typeof servers>) => string[];
    allowPrivate?: boolean;
    limits?: Partial<NetworkLimits>;
  } = {},
): Promise<Started> {
  const s = servers();
  const allow = opts.allow ? opts.allow(s) : [`allowed.test:${s.http.port}`, `allowed.test:${s.https.port}`];
  const socketPath = path.join(dir, `p${++counter}.sock`);
  const events: EgressEvent[] = [];
  const proxy = await EgressProxy.listen({
    socketPath,
    grant: {
      allow: AllowList.parse(allow),
      allowPrivate: opts.allowPrivate ?? true,
      limits: { ...DEFAULT_NETWORK_LIMITS, ...opts.limits },
    },
    resolver: new Resolver(['allowed.test:127.0.0.1', 'other.test:127.0.0.1', 'hole.test:127.0.0.1']),
    onEvent: (e) => events.push(e),
  });
  open.push(proxy);
  return { proxy, socketPath, events };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface ForwardOpts {
  host?: string;
  agent?: http.Agent;
}

function forwardRequestOpts(socketPath: string, url: string, opts: ForwardOpts): http.RequestOptions {
  return {
    socketPath,
    path: url,
    headers: { host: opts.host ?? new URL(url).host },
    agent: opts.agent ?? false,
  };
}

/** A plain forward request over the proxy socket: absolute-form target, Host as given. */
function forward(
  socketPath: string,
  url: string,
  opts: ForwardOpts = {},
): Promise<Reply & { reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(forwardRequestOpts(socketPath, url, opts), (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A plain forward request the proxy must refuse as a connection error: the client's error code (the
 * connection closed without any response) and whether it went over a reused keep-alive connection.
 * Rejects when the proxy answered instead (a refusal page is exactly what must not happen).
 */
function forwardDropped(
  socketPath: string,
  url: string,
  opts: ForwardOpts = {},
): Promise<{ code: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request(forwardRequestOpts(socketPath, url, opts), (res) => {
      res.resume();
      reject(new Error(`the proxy answered ${res.statusCode ?? 0} instead of closing the connection`));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: error.code ?? error.message, reused: req.reusedSocket }),
    );
    req.end();
  });
}

/** Reads from `socket` until `done(buffer)` says the buffer holds what we wait for. */
function readUntil(socket: net.Socket, done: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      if (done(buffer)) {
        cleanup();
        socket.pause();
        resolve(buffer);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(buffer);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}

async function connectSocket(socketPath: string): Promise<net.Socket> {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** CONNECT authority; the status line and the open socket. */
async function connectTunnel(
  socketPath: string,
  authority: string,
): Promise<{ head: string; socket: net.Socket }> {
  const socket = await connectSocket(socketPath);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  const head = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
  return { head: head.toString('latin1'), socket };
}

/** A SOCKS5 CONNECT by hand; the reply code and the socket. */
async function socks5(
  socketPath: string,
  host: string | Buffer,
  port: number,
): Promise<{ code: number; socket: net.Socket }> {
  const socket = await connectSocket(socketPath);
  socket.write(Buffer.from([5, 1, 0]));
  const method = await readUntil(socket, (b) => b.length >= 2);
  expect([...method]).toEqual([5, 0]);
  const portBytes = Buffer.from([port >> 8, port & 255]);
  const address = Buffer.isBuffer(host)
    ? Buffer.concat([Buffer.from([host.length === 4 ? 1 : 4]), host])
    : Buffer.concat([Buffer.from([3, host.length]), Buffer.from(host, 'latin1')]);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, portBytes]));
  const reply = await readUntil(socket, (b) => b.length >= 10);
  return { code: reply[1] ?? -1, socket };
}

/** TLS over an open tunnel with `servername`, then GET `path`; the body or the error. */
async function httpsOver(
  socket: net.Socket,
  servername: string,
  pathname: string,
  host = servername,
): Promise<string> {
  const secure = tls.connect({ socket, servername, ca: servers().ca.caPem });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
    secure.once('close', () => reject(new Error('closed during the TLS handshake')));
  });
  secure.write(`GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const response = await readUntil(secure, () => false);
  return response.toString('latin1');
}

describe('plain HTTP forward', () => {
  it('forwards an allowed name, counts it and emits an event', async () => {
    const { proxy, socketPath, events } = await startProxy();
    const reply = await forward(socketPath, servers().http.url('allowed.test', '/json'));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true, host: `allowed.test:${servers().http.port}` });
    const report = proxy.report();
    expect(report).toMatchObject({ requests: 1, statuses: [200], refused: [], limit: null });
    expect(report.bytesIn).toBeGreaterThan(reply.body.length);
    expect(report.bytesOut).toBeGreaterThan(0);
    expect(events).toEqual([
      expect.objectContaining({
        protocol: 'http',
        decision: 'allowed',
        status: 200,
        destination: `allowed.test:${servers().http.port}`,
      }),
    ]);
  });

  it('strips Proxy-* and hop-by-hop headers and keeps counting statuses', async () => {
    const { proxy, socketPath } = await startProxy();
    const s = servers();
    const seen = s.http.requests.length;
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          socketPath,
          path: s.http.url('allowed.test', '/status/418'),
          headers: {
            host: `allowed.test:${s.http.port}`,
            'proxy-authorization': 'Basic eA==',
            'x-keep': '1',
          },
          agent: false,
        },
        (res) => {
          expect(res.statusCode).toBe(418);
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(s.http.requests.slice(seen)).toEqual([
      { method: 'GET', path: '/status/418', host: `allowed.test:${s.http.port}` },
    ]);
    expect(proxy.report().statuses).toEqual([418]);
  });

  it('checks every request on a keep-alive connection, closing it on a refusal', async () => {
    const { proxy, socketPath } = await startProxy();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await forward(socketPath, servers().http.url('allowed.test', '/ok'), { agent });
      const second = await forwardDropped(socketPath, servers().http.url('other.test', '/ok'), { agent });
      expect(first.body).toBe('ok');
      expect(second).toEqual({ code: 'ECONNRESET', reused: true });
      expect(proxy.report().refused).toEqual([
        {
          destination: `other.test:${servers().http.port}`,
          reason: expect.stringContaining('not on the allowed hosts') as string,
        },
      ]);
      // The refused request took its keep-alive connection with it: the next one opens a new connection.
      const third = await forward(socketPath, servers().http.url('allowed.test', '/ok'), { agent });
      expect([third.body, third.reused]).toEqual(['ok', false]);
    } finally {
      agent.destroy();
    }
  });

  it('refuses a name not on the list as a connection error, reporting the reason', async () => {
    const { proxy, socketPath, events } = await startProxy();
    const reply = await forwardDropped(socketPath, servers().http.url('other.test', '/ok'));
    expect(reply.code).toBe('ECONNRESET');
    expect(servers().http.requests.some((r) => r.host?.startsWith('other.test'))).toBe(false);
    expect(proxy.report()).toMatchObject({
      requests: 1,
      refused: [
        {
          destination: `other.test:${servers().http.port}`,
          reason: 'other.test is not on the allowed hosts; add it to network.allow',
        },
      ],
    });
    expect(events).toEqual([
      expect.objectContaining({
        decision: 'refused',
        protocol: 'http',
        destination: `other.test:${servers().http.port}`,
        reason: 'other.test is not on the allowed hosts; add it to network.allow',
      }),
    ]);
  });

  it('refuses a Host that differs from the target (positive control: the same with the right Host)', async () => {
    const { proxy, socketPath } = await startProxy();
    const port = servers().http.port;
    const url = servers().http.url('allowed.test', '/echo-host');
    const good = await forward(socketPath, url);
    expect(good.body).toBe(`allowed.test:${port}`);
    const bad = await forwardDropped(socketPath, url, { host: `other.test:${port}` });
    expect(bad.code).toBe('ECONNRESET');
    const wrongPort = await forwardDropped(socketPath, url, { host: 'allowed.test' });
    expect(wrongPort.code).toBe('ECONNRESET');
    expect(proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${port}`,
        reason: `Host other.test:${port} differs from the request target allowed.test:${port}`,
      },
      {
        destination: `allowed.test:${port}`,
        reason: `Host allowed.test differs from the request target allowed.test:${port}`,
      },
    ]);
  });

  it('answers origin-form and https:// requests (not proxy requests at all) with 400', async () => {
    const { socketPath } = await startProxy();
    const reply = await forward(socketPath, '/ok', { host: `allowed.test:${servers().http.port}` });
    expect(reply.status).toBe(400);
    expect(reply.headers['x-scriptbox-refused']).toContain('absolute-form');
    const https = await forward(socketPath, servers().https.url('allowed.test', '/ok'));
    expect(https.status).toBe(400);
    expect(https.headers['x-scriptbox-refused']).toContain('go through CONNECT');
  });

  it('refuses an allowed name resolving to a private address unless allowPrivate', async () => {
    const strict = await startProxy({ allowPrivate: false });
    const refused = await forwardDropped(strict.socketPath, servers().http.url('allowed.test', '/ok'));
    expect(refused.code).toBe('ECONNRESET');
    expect(strict.proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${servers().http.port}`,
        reason: expect.stringContaining('resolves to 127.0.0.1 (loopback)') as string,
      },
    ]);
    const lax = await startProxy({ allowPrivate: true });
    expect((await forward(lax.socketPath, servers().http.url('allowed.test', '/ok'))).body).toBe('ok');
  });

  it('refuses IP literals in decimal and IPv6 notation unless the IP is allowed', async () => {
    const port = servers().http.port;
    const { proxy, socketPath } = await startProxy();
    const hosts = ['2130706433', '0x7f000001', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]'];
    for (const host of hosts) {
      const reply = await forwardDropped(socketPath, `http://${host}:${port}/ok`);
      expect(reply.code, host).toBe('ECONNRESET');
    }
    const refused = proxy.report().refused;
    expect(refused).toHaveLength(hosts.length);
    for (const entry of refused)
      expect(entry.reason, entry.destination).toMatch(/^IP address .* is not allowed/);
    const ipAllowed = await startProxy({ allow: () => [`127.0.0.1:${port}`] });
    expect(
      (await forward(ipAllowed.socketPath, `http://2130706433:${port}/ok`, { host: `127.0.0.1:${port}` }))
        .body,
    ).toBe('ok');
  });

  it('refuses a WebSocket upgrade sent as a plain request as a connection error', async () => {
    const { proxy, socketPath } = await startProxy();
    const url = servers().http.url('allowed.test', '/ws');
    const reply = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        ...forwardRequestOpts(socketPath, url, {}),
        headers: { host: new URL(url).host, connection: 'Upgrade', upgrade: 'websocket' },
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('response', (res) => reject(new Error(`answered ${res.statusCode ?? 0}`)));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    expect(reply).toBe('ECONNRESET');
    expect(proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${servers().http.port}`,
        reason: expect.stringContaining('protocol upgrades (WebSocket) go through CONNECT') as string,
      },
    ]);
  });

  it('turns an upstream that cannot be reached into a connection error (control: a reachable one)', async () => {
    const closed = await freePort();
    const { proxy, socketPath } = await startProxy({
      allow: (s) => [
        `allowed.test:${s.http.port}`,
        `allowed.test:${closed}`,
        `hole.test:${blackhole.port}`,
        'nowhere.invalid',
      ],
      limits: { connectTimeoutMs: 300 },
    });
    expect((await forward(socketPath, servers().http.url('allowed.test', '/ok'))).body).toBe('ok');
    for (const url of [
      `http://allowed.test:${closed}/ok`,
      `http://hole.test:${blackhole.port}/ok`,
      'http://nowhere.invalid/ok',
    ]) {
      expect((await forwardDropped(socketPath, url)).code, url).toBe('ECONNRESET');
    }
    expect(proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${closed}`,
        reason: expect.stringContaining('ECONNREFUSED') as string,
      },
      {
        destination: `hole.test:${blackhole.port}`,
        reason: expect.stringContaining('connectTimeoutMs') as string,
      },
      { destination: 'nowhere.invalid:80', reason: expect.stringContaining('nowhere.invalid') as string },
    ]);
  });
});

describe('CONNECT tunnels', () => {
  it('tunnels HTTPS to an allowed name with the right SNI', async () => {
    const { proxy, socketPath, events } = await startProxy();
    const { head, socket } = await connectTunnel(socketPath, `allowed.test:${servers().https.port}`);
    expect(head).toMatch(/^HTTP\/1\.1 200 Connection established\r\n/);
    const response = await httpsOver(socket, 'allowed.test', '/ok');
    expect(response).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/);
    await waitFor(() => events.length === 1);
    expect(events[0]).toMatchObject({
      protocol: 'connect',
      decision: 'allowed',
      destination: `allowed.test:${servers().https.port}`,
    });
    expect(events[0]?.bytesIn).toBeGreaterThan(1000); // certificate chain + response
    expect(proxy.report()).toMatchObject({ requests: 1, refused: [] });
  });

  it('refuses a ClientHello whose SNI names another host', async () => {
    const { proxy, socketPath, events } = await startProxy({
      allow: (s) => [`allowed.test:${s.https.port}`, `other.test:${s.https.port}`].slice(0, 1),
    });
    const { head, socket } = await connectTunnel(socketPath, `allowed.test:${servers().https.port}`);
    expect(head).toContain('200 Connection established');
    await expect(httpsOver(socket, 'other.test', '/ok')).rejects.toThrow();
    expect(proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${servers().https.port}`,
        reason: expect.stringContaining('TLS SNI other.test differs') as string,
      },
    ]);
    expect(events.at(-1)).toMatchObject({ decision: 'refused', protocol: 'connect' });
  });

  it('refuses a plain request in a tunnel whose Host differs (positive control: matching Host)', async () => {
    const { proxy, socketPath } = await startProxy();
    const port = servers().http.port;
    const good = await connectTunnel(socketPath, `allowed.test:${port}`);
    good.socket.write(`GET /echo-host HTTP/1.1\r\nHost: allowed.test:${port}\r\nConnection: close\r\n\r\n`);
    expect((await readUntil(good.socket, () => false)).toString()).toMatch(
      new RegExp(`\\r\\n\\r\\nallowed\\.test:${port}$`),
    );
    const bad = await connectTunnel(socketPath, `allowed.test:${port}`);
    bad.socket.write(`GET /echo-host HTTP/1.1\r\nHost: other.test:${port}\r\nConnection: close\r\n\r\n`);
    expect((await readUntil(bad.socket, () => false)).toString()).toBe('');
    expect(proxy.report().refused).toEqual([
      {
        destination: `allowed.test:${port}`,
        reason: expect.stringContaining('HTTP Host other.test') as string,
      },
    ]);
  });

  it('refuses names off the list, IPv6 literals and a port not allowed, with 403', async () => {
    const { proxy, socketPath } = await startProxy();
    const port = servers().https.port;
    for (const authority of [
      `other.test:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `allowed.test:${port + 1}`,
    ]) {
      const { head } = await connectTunnel(socketPath, authority);
      expect(head, authority).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(head, authority).toContain('X-Scriptbox-Refused: ');
    }
    expect(proxy.report().refused.map((r) => r.destination)).toEqual([
      `other.test:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `allowed.test:${port + 1}`,
    ]);
  });

  it('gives up connecting after connectTimeoutMs (a port that never accepts)', async () => {
    const { proxy, socketPath } = await startProxy({
      allow: () => [`hole.test:${blackhole.port}`],
      limits: { connectTimeoutMs: 300 },
    });
    const started = performance.now();
    const { head } = await connectTunnel(socketPath, `hole.test:${blackhole.port}`);
    expect(head).toMatch(/^HTTP\/1\.1 504 /);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(proxy.report().refused[0]?.reason).toContain('connectTimeoutMs');
  });
});

describe('SOCKS5', () => {
  it('connects an allowed name (TLS) and refuses others with reply 0x02', async () => {
    const { proxy, socketPath, events } = await startProxy();
    const port = servers().https.port;
    const ok = await socks5(socketPath, 'allowed.test', port);
    expect(ok.code).toBe(0);
    expect(await httpsOver(ok.socket, 'allowed.test', '/ok')).toMatch(/\r\n\r\nok$/);
    const name = await socks5(socketPath, 'other.test', port);
    expect(name.code).toBe(2);
    const ip = await socks5(socketPath, Buffer.from([127, 0, 0, 1]), port);
    expect(ip.code).toBe(2);
    const v6 = await socks5(socketPath, Buffer.from('00000000000000000000ffff7f000001', 'hex'), port);
    expect(v6.code).toBe(2);
    expect(proxy.report().refused.map((r) => r.destination)).toEqual([
      `other.test:${port}`,
      `127.0.0.1:${port}`,
      `[0:0:0:0:0:ffff:7f00:1]:${port}`,
    ]);
    await waitFor(() => events.some((e) => e.decision === 'allowed'));
    expect(events.find((e) => e.decision === 'allowed')).toMatchObject({ protocol: 'socks5' });
  });

  it('answers 0x04 when the connect times out', async () => {
    const { socketPath } = await startProxy({
      allow: () => [`hole.test:${blackhole.port}`],
      limits: { connectTimeoutMs: 200 },
    });
    expect((await socks5(socketPath, 'hole.test', blackhole.port)).code).toBe(4);
  });
});

describe('limits', () => {
  it('closes everything past maxBytesIn and refuses new requests', async () => {
    const { proxy, socketPath } = await startProxy({ limits: { maxBytesIn: 100_000 } });
    const url = servers().http.url('allowed.test', '/big?bytes=1000000');
    const outcome = await forward(socketPath, url).then(
      (r) => `got ${r.body.length}`,
      (e: Error) => `error ${e.message}`,
    );
    expect(outcome).not.toBe('got 1000000');
    const report = proxy.report();
    expect(report.limit?.which).toBe('maxBytesIn');
    expect(report.bytesIn).toBeLessThanOrEqual(100_000);
    const after = await forwardDropped(socketPath, servers().http.url('allowed.test', '/ok'));
    expect(after.code).toBe('ECONNRESET');
    expect(proxy.report().refused.at(-1)).toEqual({
      destination: `allowed.test:${servers().http.port}`,
      reason: expect.stringContaining('(maxBytesIn)') as string,
    });
    proxy.beginRun();
    expect(proxy.report()).toMatchObject({ requests: 0, bytesIn: 0, limit: null, refused: [] });
    expect((await forward(socketPath, servers().http.url('allowed.test', '/ok'))).body).toBe('ok');
  });

  it('refuses the request past maxRequests', async () => {
    const { proxy, socketPath } = await startProxy({ limits: { maxRequests: 2 } });
    const url = servers().http.url('allowed.test', '/ok');
    expect((await forward(socketPath, url)).status).toBe(200);
    expect((await forward(socketPath, url)).status).toBe(200);
    const third = await forwardDropped(socketPath, url);
    expect(third.code).toBe('ECONNRESET');
    expect(proxy.report()).toMatchObject({
      requests: 2,
      limit: { which: 'maxRequests' },
      refused: [
        {
          destination: `allowed.test:${servers().http.port}`,
          reason: expect.stringContaining('more than 2 network requests in this run (maxRequests)') as string,
        },
      ],
    });
  });

  it('closes a connection idle for idleTimeoutMs', async () => {
    const { proxy, socketPath } = await startProxy({ limits: { idleTimeoutMs: 300 } });
    const { head, socket } = await connectTunnel(socketPath, `allowed.test:${servers().http.port}`);
    expect(head).toContain('200 Connection established');
    const started = performance.now();
    await readUntil(socket, () => false); // nothing sent: the proxy ends it
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    await waitFor(() => proxy.report().refused.length === 1);
    expect(proxy.report().refused[0]?.reason).toContain('idleTimeoutMs');
  });
});

describe('the socket', () => {
  it('is chowned to the owner and 0600 when we are root; close() is idempotent', async () => {
    const socketPath = path.join(dir, 'owned.sock');
    const proxy = await EgressProxy.listen({
      socketPath,
      grant: { allow: AllowList.none, allowPrivate: false, limits: DEFAULT_NETWORK_LIMITS },
      resolver: new Resolver(),
      owner: { uid: 4321, gid: 4322 },
    });
    const stat = fs.statSync(socketPath);
    if (process.getuid?.() === 0) {
      expect([stat.uid, stat.gid, stat.mode & 0o777]).toEqual([4321, 4322, 0o600]);
    }
    await proxy.close();
    await proxy.close();
    await expect(connectSocket(socketPath)).rejects.toThrow();
  });
});

/** Polls a condition the proxy reaches right after the client saw the end of a connection. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port on 127.0.0.1 nothing listens on (bound, then closed again). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
