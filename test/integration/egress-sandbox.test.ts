/**
 * Sandboxes granted network, end to end (setup: egress-harness.ts): every client a script uses (Python
 * urllib, curl over http/https/socks5h, Node fetch and http(s).get) reaches exactly what it was granted, a
 * session keeps one proxy with a report per run, a request outside the policy is refused before anything
 * starts, the relay holds none of the runners' fds, and a sandbox without a grant has no connectivity and
 * no DNS.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, NetworkNotPermittedError, type EngineEvents } from '../../src/index.js';
import { expectOk, useEgressHarness } from './egress-harness.js';

const h = useEgressHarness();

describe('a sandbox granted network', () => {
  it('lets Python urllib reach the granted name over http and https, and reports it', async () => {
    const before = h().servers.https.requests.length;
    const result = await h().engine.run({
      language: 'python',
      network: h().grant(),
      source: [
        'import urllib.request',
        `print(urllib.request.urlopen(${JSON.stringify(h().url('http', 'allowed.test', '/ok'))}).read().decode())`,
        `print(urllib.request.urlopen(${JSON.stringify(h().url('https', 'allowed.test', '/json'))}).read().decode())`,
      ].join('\n'),
    });
    expectOk(result);
    const [first, second] = result.stdout.trim().split('\n');
    expect(first).toBe('ok');
    expect(JSON.parse(second ?? '{}')).toEqual({
      ok: true,
      items: [1, 2, 3],
      host: `allowed.test:${h().servers.https.port}`,
    });
    expect(
      h()
        .servers.https.requests.slice(before)
        .map((r) => r.path),
    ).toEqual(['/json']);
    expect(result.network).toMatchObject({ requests: 2, refused: [], limit: null });
    expect(result.network?.statuses).toEqual([200]); // the plain request's; the tunnel's is inside TLS
    expect(result.network?.bytesIn).toBeGreaterThan(100);
    expect(result.network?.bytesOut).toBeGreaterThan(50);
  });

  it('lets curl use http, https, and socks5h (ALL_PROXY) for a raw TCP service', async () => {
    const result = await h().engine.run({
      language: 'bash',
      network: h().grant(),
      source: [
        `curl -sS ${h().url('http', 'allowed.test', '/ok')}; echo`,
        `curl -sS ${h().url('https', 'allowed.test', '/echo-host')}; echo`,
        // gopher: raw TCP (no HTTP proxy applies), so curl goes through ALL_PROXY=socks5h://
        `curl -sS gopher://allowed.test:${h().rawPort}/_ping`,
      ].join('\n'),
    });
    expectOk(result);
    expect(result.stdout).toBe(`ok\nallowed.test:${h().servers.https.port}\nhello from raw\npong\n`);
    expect(result.network?.requests).toBe(3);
  });

  it("lets Node's fetch and https.get / http.get through, with the test CA trusted", async () => {
    const result = await h().engine.run({
      language: 'javascript',
      network: h().grant(),
      source: [
        "const http = require('node:http');",
        "const https = require('node:https');",
        `const get = (mod, u) => new Promise((resolve, reject) => mod.get(u, (res) => {`,
        "  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(res.statusCode + ' ' + body));",
        '}).on("error", reject));',
        '(async () => {',
        `  console.log(await (await fetch(${JSON.stringify(h().url('https', 'allowed.test', '/ok'))})).text());`,
        `  console.log(await (await fetch(${JSON.stringify(h().url('http', 'allowed.test', '/echo-host'))})).text());`,
        `  console.log(await get(https, ${JSON.stringify(h().url('https', 'allowed.test', '/ok'))}));`,
        `  console.log(await get(http, ${JSON.stringify(h().url('http', 'allowed.test', '/status/201'))}));`,
        '})();',
      ].join('\n'),
    });
    expectOk(result);
    expect(result.stdout).toBe(`ok\nallowed.test:${h().servers.http.port}\n200 ok\n201 status 201\n`);
    expect(result.network?.requests).toBe(4);
  });

  it('gives a relay that holds none of the runner fds, only /dev/null and sockets', async () => {
    const result = await h().engine.run({
      language: 'python',
      network: h().grant(),
      source: [
        'import os',
        // pid 1 is bwrap (its argv names the bridge too); the relay is the bridge's grandchild
        'argv = lambda p: open(f"/proc/{p}/cmdline", "rb").read().split(b"\\0")',
        'relay = [p for p in os.listdir("/proc") if p.isdigit() and p != "1" and argv(p)[3:4] == [b"/.scriptbox/egress_bridge.py"]]',
        'print(len(relay))',
        'targets = sorted({os.readlink(f"/proc/{relay[0]}/fd/{fd}") for fd in os.listdir(f"/proc/{relay[0]}/fd")})',
        'print([t.split(":")[0] if t.startswith("socket:") else t for t in targets])',
      ].join('\n'),
    });
    expectOk(result);
    // stdin/out/err on /dev/null, its epoll instance, the command's pidfd, the listener (and no pipe, no
    // file, no directory).
    expect(result.stdout).toBe(
      "1\n['/dev/null', 'anon_inode:[eventpoll]', 'anon_inode:[pidfd]', 'socket']\n",
    );
  });

  it('reports a refused destination and makes the failed run kind network', async () => {
    const before = h().egressEvents.length;
    const result = await h().engine.run({
      language: 'python',
      network: h().grant(),
      source: `import urllib.request\nurllib.request.urlopen(${JSON.stringify(h().url('http', 'other.test', '/ok'))})`,
    });
    expect(result.ok).toBe(false);
    expect(result.error?.kind).toBe('network');
    expect(result.error?.message).toContain(`other.test:${h().servers.http.port}`);
    expect(result.network?.refused.map((r) => r.destination)).toEqual([
      `other.test:${h().servers.http.port}`,
    ]);
    const refusals = h()
      .egressEvents.slice(before)
      .filter((e) => e.decision === 'refused');
    expect(refusals.map((e) => e.destination)).toEqual([`other.test:${h().servers.http.port}`]);
    expect(refusals[0]?.runId).toEqual(expect.any(String));
  });

  it('keeps one proxy for a session, with a report per run', async () => {
    const session = await h().engine.createSession({ language: 'python', network: h().grant() });
    try {
      const fetchOk = (times: number): string =>
        `import urllib.request\nfor _ in range(${times}):\n    print(urllib.request.urlopen(${JSON.stringify(h().url('http', 'allowed.test', '/ok'))}).read().decode())`;
      const one = await session.run({ source: fetchOk(1) });
      const two = await session.run({ source: fetchOk(2) });
      expectOk(one);
      expectOk(two);
      expect([one.stdout, two.stdout]).toEqual(['ok\n', 'ok\nok\n']);
      expect([one.network?.requests, two.network?.requests]).toEqual([1, 2]);
      expect(two.network?.statuses).toEqual([200, 200]);
      expect(h().egressDirs()).toHaveLength(1);
    } finally {
      await session.close(); // destroys the sandbox, and its proxy with it
    }
    expect(h().egressDirs()).toEqual([]);
  });

  it("gives a fresh javascript session's runs (each a fresh node) the fetch preload", async () => {
    const session = await h().engine.createSession({
      language: 'javascript',
      state: 'fresh',
      network: h().grant(),
    });
    try {
      const source = `console.log(await (await fetch(${JSON.stringify(h().url('https', 'allowed.test', '/ok'))})).text());`;
      const one = await session.run({ source });
      const two = await session.run({ source });
      expectOk(one);
      expectOk(two);
      expect([one.stdout, two.stdout]).toEqual(['ok\n', 'ok\n']);
      expect([one.network?.requests, two.network?.requests]).toEqual([1, 1]);
    } finally {
      await session.close();
    }
    expect(h().egressDirs()).toEqual([]);
  });

  it("gives a stateful javascript session's node the fetch preload; its runs keep their declarations", async () => {
    const session = await h().engine.createSession({ language: 'javascript', network: h().grant() });
    try {
      const url = JSON.stringify(h().url('https', 'allowed.test', '/ok'));
      const one = await session.run({
        source: `const url = ${url};\nconsole.log(await (await fetch(url)).text());`,
      });
      const two = await session.run({ source: 'console.log(await (await fetch(url)).text());' });
      expectOk(one);
      expectOk(two);
      expect([one.stdout, two.stdout]).toEqual(['ok\n', 'ok\n']);
      // Through the proxy both times (the second may reuse the first run's connection, as one node does).
      expect(one.network?.requests).toBe(1);
      expect(two.network?.refused).toEqual([]);
    } finally {
      await session.close();
    }
    expect(h().egressDirs()).toEqual([]);
  });

  it('refuses a request outside the policy before any sandbox starts', async () => {
    const created: string[] = [];
    const onCreate = (event: EngineEvents['sandbox:create']): void => void created.push(event.purpose);
    h().engine.events.on('sandbox:create', onCreate);
    try {
      await expect(
        h().engine.run({ language: 'python', source: 'pass', network: { allow: ['evil.test'] } }),
      ).rejects.toThrow(NetworkNotPermittedError);
      await expect(
        h().engine.createSession({ language: 'python', network: { allow: ['evil.test'] } }),
      ).rejects.toThrow(/evil\.test/);
    } finally {
      h().engine.events.off('sandbox:create', onCreate);
    }
    expect(created).toEqual([]);
    expect(h().egressDirs()).toEqual([]);
  });
});

describe('a sandbox without a grant', () => {
  const probe = (target: string): string =>
    [
      'import os, socket',
      'def tryit(what, f):',
      '    try:',
      '        f(); print(what, "ok")',
      '    except Exception as err:',
      '        print(what, "failed")',
      'tryit("dns", lambda: socket.getaddrinfo("allowed.test", 80))',
      'tryit("dns-public", lambda: socket.getaddrinfo("example.com", 80))',
      `tryit("direct", lambda: socket.create_connection(("127.0.0.1", ${target}), timeout=2))`,
      'tryit("proxy", lambda: socket.create_connection(("127.0.0.1", 3128), timeout=2))',
      'print(os.environ.get("http_proxy"), os.path.exists("/etc/resolv.conf"))',
    ].join('\n');

  it('has no connectivity and no DNS; the same probe with a grant reaches only the proxy', async () => {
    const port = String(h().servers.http.port);
    const without = await h().engine.run({ language: 'python', source: probe(port) });
    expectOk(without);
    expect(without.stdout).toBe('dns failed\ndns-public failed\ndirect failed\nproxy failed\nNone False\n');
    expect(without.network).toBeUndefined();
    // Positive control: granted, the proxy answers; DNS and direct connections stay impossible.
    const granted = await h().engine.run({ language: 'python', source: probe(port), network: h().grant() });
    expectOk(granted);
    expect(granted.stdout).toBe(
      'dns failed\ndns-public failed\ndirect failed\nproxy ok\nhttp://127.0.0.1:3128 False\n',
    );
  });

  it('refuses network on an engine without the sandbox, saying why', async () => {
    const unsafe = await createEngine({ unsafeNoSandbox: true, network: { allow: ['allowed.test'] } });
    try {
      await expect(
        unsafe.run({ language: 'python', source: 'pass', network: { allow: ['allowed.test'] } }),
      ).rejects.toThrow(/unsafeNoSandbox/);
    } finally {
      await unsafe.close();
    }
  });
});
