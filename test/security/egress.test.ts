/**
 * Attack class: network egress when a run IS granted network. Real HTTP/HTTPS servers on 127.0.0.1
 * (test/support/net-servers.ts) stand for the internet; the operator policy maps test names to them with
 * resolver overrides and allows private addresses (except in the rebinding test). Every attack has a
 * positive control (the same request, allowed, succeeds) and asserts a host-side fact: what the servers
 * saw, and what the proxy reported (RunResult.network).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';
import { useNetServers } from '../support/net-servers.js';

const servers = useNetServers(['allowed.test', 'other.test']);
let engine: Engine;
let strictEngine: Engine;

beforeAll(async () => {
  const s = servers();
  const policy = {
    allow: [
      'allowed.test',
      'other.test',
      `allowed.test:${s.http.port}`,
      `allowed.test:${s.https.port}`,
      `other.test:${s.http.port}`,
    ],
    resolve: ['allowed.test:127.0.0.1', 'other.test:127.0.0.1'],
    trustCaFile: s.ca.caFile,
  };
  engine = await createEngine({ network: { ...policy, allowPrivate: true } });
  strictEngine = await createEngine({ network: { ...policy, allowPrivate: false } });
}, 60_000);
afterAll(async () => {
  await engine?.close();
  await strictEngine?.close();
});

const granted = () => ({
  allow: [`allowed.test:${servers().http.port}`, `allowed.test:${servers().https.port}`],
});

async function py(
  source: string,
  opts: { strict?: boolean; limits?: Record<string, number> } = {},
): Promise<RunResult> {
  return (opts.strict ? strictEngine : engine).run({
    language: 'python',
    source,
    network: { ...granted(), ...(opts.limits ? { limits: opts.limits } : {}) },
  });
}

/** Python that prints `OK <body>` or `ERR <exception class>: <message>` for one urllib GET. */
const fetchPy = (url: string, extra = '') => `
import urllib.request, sys
try:
    req = urllib.request.Request(${JSON.stringify(url)})
    ${extra || 'pass'}
    print('OK', urllib.request.urlopen(req, timeout=10).read().decode()[:200])
except Exception as e:
    print('ERR', type(e).__name__, str(e)[:300])
`;

/**
 * What Python's urllib / http.client raise when the proxy closes the connection without an answer (a
 * refused plain-http request): never HTTPError, which would mean a refusal page reached the script.
 */
const PY_CONNECTION_ERROR = /^ERR (RemoteDisconnected|ConnectionResetError|URLError) /;

function seen(host: string): number {
  const s = servers();
  return [...s.http.requests, ...s.https.requests].filter((r) => r.host?.split(':')[0] === host).length;
}

describe('allowed names work for every client (positive controls)', () => {
  it('python urllib, http and https', async () => {
    const s = servers();
    const http = await py(fetchPy(s.http.url('allowed.test', '/ok')));
    expect(http.stdout.trim()).toBe('OK ok');
    const https = await py(fetchPy(s.https.url('allowed.test', '/json')));
    expect(https.stdout).toContain(`"host":"allowed.test:${s.https.port}"`);
    expect(https.network).toMatchObject({ requests: 1, refused: [], limit: null });
  });

  it('curl and node fetch', async () => {
    const s = servers();
    const curl = await engine.run({
      language: 'bash',
      source: `curl -sS ${s.https.url('allowed.test', '/ok')}`,
      network: granted(),
    });
    expect(curl.stdout).toBe('ok');
    const node = await engine.run({
      language: 'javascript',
      source: `const r = await fetch(${JSON.stringify(s.https.url('allowed.test', '/echo-host'))}); console.log(r.status, await r.text());`,
      network: granted(),
    });
    expect(node.stdout.trim()).toBe(`200 allowed.test:${s.https.port}`);
  });
});

describe('refused and reported', () => {
  it('a name not on the list', async () => {
    const before = seen('other.test');
    const result = await py(fetchPy(servers().http.url('other.test', '/ok')));
    expect(result.stdout).toMatch(PY_CONNECTION_ERROR);
    expect(seen('other.test')).toBe(before);
    expect(result.network?.refused).toEqual([
      {
        destination: `other.test:${servers().http.port}`,
        reason: 'other.test is not on the allowed hosts; add it to network.allow',
      },
    ]);
  });

  it('a direct connection to an IP, bypassing the proxy (control: the same server through the proxy)', async () => {
    const s = servers();
    const before = s.http.requests.length;
    const result = await py(`
import socket, urllib.request
try:
    socket.create_connection(('127.0.0.1', ${s.http.port}), timeout=3); print('DIRECT CONNECTED')
except OSError as e:
    print('DIRECT', type(e).__name__)
print('PROXY', urllib.request.urlopen(${JSON.stringify(s.http.url('allowed.test', '/ok'))}).read().decode())
`);
    expect(result.stdout).toMatch(/^DIRECT (ConnectionRefusedError|OSError|TimeoutError)\nPROXY ok\n$/);
    expect(s.http.requests.length).toBe(before + 1); // only the proxied request arrived
  });

  it('DNS lookups from inside (control: the name works through the proxy)', async () => {
    const result = await py(`
import socket, urllib.request
for name in ['allowed.test', 'example.com', 'localhost.localdomain']:
    try:
        print('RESOLVED', name, socket.getaddrinfo(name, 80))
    except socket.gaierror as e:
        print('NODNS', name)
print(urllib.request.urlopen(${JSON.stringify(servers().https.url('allowed.test', '/ok'))}).read().decode())
`);
    expect(result.stdout).toBe('NODNS allowed.test\nNODNS example.com\nNODNS localhost.localdomain\nok\n');
  });

  it('an allowed name that resolves to a private address, without the operator allowing it', async () => {
    const before = servers().http.requests.length;
    const result = await py(fetchPy(servers().http.url('allowed.test', '/ok')), { strict: true });
    expect(result.stdout).toMatch(PY_CONNECTION_ERROR);
    expect(servers().http.requests.length).toBe(before);
    expect(result.network?.refused).toEqual([
      {
        destination: `allowed.test:${servers().http.port}`,
        reason: expect.stringContaining('resolves to 127.0.0.1 (loopback)') as string,
      },
    ]);
  });

  it('a CONNECT whose TLS SNI names another host (control: the right SNI)', async () => {
    const s = servers();
    const result = await py(`
import socket, ssl
ctx = ssl.create_default_context()
for sni in ['allowed.test', 'other.test']:
    raw = socket.create_connection(('127.0.0.1', 3128), timeout=5)
    raw.sendall(b'CONNECT allowed.test:${s.https.port} HTTP/1.1\\r\\nHost: allowed.test:${s.https.port}\\r\\n\\r\\n')
    head = raw.recv(4096)
    try:
        ctx.check_hostname = False
        tls = ctx.wrap_socket(raw, server_hostname=sni)
        tls.sendall(b'GET /echo-host HTTP/1.1\\r\\nHost: ' + sni.encode() + b'\\r\\nConnection: close\\r\\n\\r\\n')
        print(sni, 'GOT', tls.recv(4096).split(b'\\r\\n')[0].decode())
    except Exception as e:
        print(sni, 'ERR', type(e).__name__)
`);
    expect(result.stdout).toMatch(/^allowed\.test GOT HTTP\/1\.1 200 OK\nother\.test ERR \w+\n$/);
    expect(result.network?.refused).toEqual([
      {
        destination: `allowed.test:${s.https.port}`,
        reason: expect.stringContaining('TLS SNI other.test differs') as string,
      },
    ]);
  });

  it('a plain request with a mismatched Host (control: the right Host)', async () => {
    const s = servers();
    const result = await py(`
import http.client
for host in ['allowed.test:${s.http.port}', 'other.test:${s.http.port}']:
    c = http.client.HTTPConnection('127.0.0.1', 3128)
    c.putrequest('GET', 'http://allowed.test:${s.http.port}/echo-host', skip_host=True)
    c.putheader('Host', host)
    c.endheaders()
    try:
        r = c.getresponse()
        print(r.status, r.read().decode()[:60])
    except Exception as e:
        print('ERR', type(e).__name__, str(e)[:100])
`);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`200 allowed.test:${s.http.port}`);
    expect(lines[1]).toMatch(PY_CONNECTION_ERROR);
    expect(result.network?.refused).toEqual([
      {
        destination: `allowed.test:${s.http.port}`,
        reason: `Host other.test:${s.http.port} differs from the request target allowed.test:${s.http.port}`,
      },
    ]);
  });

  it('a redirect to a disallowed host is a new request, refused (control: redirect to an allowed one)', async () => {
    const s = servers();
    const to = (name: string) =>
      s.http.url('allowed.test', `/redirect?to=${encodeURIComponent(s.http.url(name, '/ok'))}`);
    const ok = await py(fetchPy(to('allowed.test')));
    expect(ok.stdout.trim()).toBe('OK ok');
    const before = seen('other.test');
    const bad = await py(fetchPy(to('other.test')));
    expect(bad.stdout).toMatch(PY_CONNECTION_ERROR);
    expect(bad.network?.statuses).toEqual([302]);
    expect(bad.network?.refused).toEqual([
      {
        destination: `other.test:${s.http.port}`,
        reason: 'other.test is not on the allowed hosts; add it to network.allow',
      },
    ]);
    expect(seen('other.test')).toBe(before);
  });

  it('IP literals in decimal and IPv6 notation', async () => {
    const port = servers().http.port;
    const before = servers().http.requests.length;
    const result = await py(`
import urllib.request
for url in ['http://2130706433:${port}/ok', 'http://[::ffff:127.0.0.1]:${port}/ok', 'http://0x7f.1:${port}/ok']:
    try:
        print('OK', urllib.request.urlopen(url, timeout=5).read())
    except Exception as e:
        print('ERR', type(e).__name__, str(e)[:100])
`);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(PY_CONNECTION_ERROR);
    expect(servers().http.requests.length).toBe(before);
    expect(result.network?.refused).toHaveLength(3);
    for (const refused of result.network?.refused ?? [])
      expect(refused.reason, refused.destination).toMatch(/^IP address .* is not allowed/);
  });

  it('python requests, node fetch / http.get and curl see a refused plain-http URL as a connection error (controls: an allowed URL)', async () => {
    const s = servers();
    const ok = s.http.url('allowed.test', '/ok');
    const refused = s.http.url('other.test', '/ok');
    const before = seen('other.test');
    const python = await py(`
import requests
for url in [${JSON.stringify(ok)}, ${JSON.stringify(refused)}]:
    try:
        r = requests.get(url, timeout=10)
        print('OK', r.status_code, r.text)
    except requests.exceptions.ConnectionError as e:
        print('CONNERR', type(e).__name__)
    except Exception as e:
        print('OTHER', type(e).__name__, str(e)[:200])
`);
    expect(python.stdout).toMatch(/^OK 200 ok\nCONNERR (ConnectionError|ProxyError)\n$/);
    const node = await engine.run({
      language: 'javascript',
      network: granted(),
      source: [
        "const http = require('node:http');",
        'const get = (u) => new Promise((resolve, reject) => http.get(u, (res) => {',
        "  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(res.statusCode + ' ' + body));",
        "}).on('error', reject));",
        '(async () => {',
        `  for (const url of [${JSON.stringify(ok)}, ${JSON.stringify(refused)}]) {`,
        "    try { const r = await fetch(url); console.log('fetch OK', r.status, await r.text()); }",
        "    catch (e) { console.log('fetch REJECTED', e.name, e.message); }",
        "    try { console.log('get OK', await get(url)); }",
        "    catch (e) { console.log('get ERROR', e.code); }",
        '  }',
        '})();',
      ].join('\n'),
    });
    expect(node.stdout).toBe(
      'fetch OK 200 ok\nget OK 200 ok\nfetch REJECTED TypeError fetch failed\nget ERROR ECONNRESET\n',
    );
    const curl = await engine.run({
      language: 'bash',
      network: granted(),
      source: `for u in ${ok} ${refused}; do curl -sS $u 2>/dev/null; echo " exit $?"; done`,
    });
    expect(curl.stdout).toBe('ok exit 0\n exit 52\n'); // 52: empty reply from server
    expect(seen('other.test')).toBe(before);
    // node asked twice (fetch through a CONNECT tunnel, http.get as a plain forward request)
    const refusal = {
      destination: `other.test:${s.http.port}`,
      reason: 'other.test is not on the allowed hosts; add it to network.allow',
    };
    expect([python, node, curl].map((r) => r.network?.refused)).toEqual([
      [refusal],
      [refusal, refusal],
      [refusal],
    ]);
  });

  it('a response over the byte cap (control: one under it)', async () => {
    const s = servers();
    const under = await py(fetchPy(s.https.url('allowed.test', '/big?bytes=50000')), {
      limits: { maxBytesIn: 200_000 },
    });
    expect(under.stdout).toMatch(/^OK x{200}\n$/);
    const over = await py(fetchPy(s.https.url('allowed.test', '/big?bytes=2000000')), {
      limits: { maxBytesIn: 200_000 },
    });
    expect(over.stdout).toMatch(/^ERR /);
    expect(over.network?.limit?.which).toBe('maxBytesIn');
    expect(over.network?.bytesIn).toBeLessThanOrEqual(200_000);
  });
});
