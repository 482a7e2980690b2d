/**
 * Attack class: network. The test listens on the host: TCP on 127.0.0.1 and on every non-loopback IPv4
 * address, UDP on 127.0.0.1, an abstract Unix socket and a world-writable filesystem Unix socket. The
 * script connects / sends to all of them, and tries external addresses and DNS.
 * Host-side assertion: no listener saw a single connection or datagram. Inside facts: only `lo` exists,
 * there is no route, and names do not resolve.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { hostTempDir, LANGS, newEngine, run, sleep, token, type Lang } from './support.js';
import { waitUntil } from '../support/wait.js';

interface Listener {
  label: string;
  port: number;
  /** Connections or datagrams received. */
  hits: number;
  close(): Promise<void>;
}

/** A counting stream listener on a TCP address, an abstract (`\0name`) or a filesystem unix socket. */
async function streamListener(label: string, where: string): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    listener.hits++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      where.startsWith('\0') || where.startsWith('/') ? where : { host: where, port: 0 },
      resolve,
    );
  });
  const address = server.address();
  const listener: Listener = {
    label,
    port: typeof address === 'object' && address ? address.port : 0,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return listener;
}

async function udpListener(label: string): Promise<Listener> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const listener: Listener = {
    label,
    port: socket.address().port,
    hits: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', () => listener.hits++);
  return listener;
}

/** Lines on stdin: `T host port` (TCP), `U host port` (UDP), `A name` (abstract unix), `S path` (unix). */
const CLIENTS: Record<Lang, string> = {
  python: `
import socket, sys
for line in sys.stdin.read().splitlines():
    kind, *args = line.split(" ")
    try:
        if kind == "T":
            s = socket.create_connection((args[0], int(args[1])), timeout=1)
            s.sendall(b"hello"); print("CONNECTED", line)
        elif kind == "U":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"hello", (args[0], int(args[1])))
        elif kind in ("A", "S"):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(("\\0" + args[0]) if kind == "A" else args[0]); print("CONNECTED", line)
    except Exception:
        pass
for name in ("example.com", "github.com", "localhost.localdomain"):
    try:
        print("RESOLVED", name, socket.getaddrinfo(name, 80))
    except Exception:
        pass
try:
    q = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); q.settimeout(1)
    q.sendto(b"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01", ("8.8.8.8", 53))
    print("DNS-REPLY", q.recv(512))
except Exception:
    pass
# interfaces from /proc: netlink sockets are refused by the seccomp filter (see seccomp.test.ts)
print("IFACES", [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]])
print("NET-DONE")
`,
  javascript: `
const fs = require('fs');
const net = require('net');
const dgram = require('dgram');
const dns = require('dns');
const lines = fs.readFileSync(0, 'utf8').split('\\n').filter(Boolean);
const tries = lines.map((line) => new Promise((resolve) => {
  const [kind, a, b] = line.split(' ');
  setTimeout(resolve, 1500);
  try {
    if (kind === 'U') {
      const s = dgram.createSocket('udp4');
      s.on('error', () => resolve());
      s.send('hello', Number(b), a, () => { s.close(); resolve(); });
      return;
    }
    const opts = kind === 'T' ? { host: a, port: Number(b) } : { path: kind === 'A' ? '\\0' + a : a };
    const c = net.connect(opts, () => { console.log('CONNECTED', line); c.end('hello'); resolve(); });
    c.on('error', () => resolve());
  } catch { resolve(); }
}));
const lookups = ['example.com', 'github.com'].map((name) => new Promise((resolve) => {
  dns.lookup(name, (err, addr) => { if (!err) console.log('RESOLVED', name, addr); resolve(); });
}));
const q = new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  s.on('error', () => resolve());
  s.on('message', (m) => { console.log('DNS-REPLY', m.length); resolve(); });
  s.send(Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex'), 53, '8.8.8.8', () => {});
  setTimeout(() => { s.close(); resolve(); }, 1000);
});
Promise.all([...tries, ...lookups, q]).then(() => {
  // interfaces from /proc: netlink sockets (what os.networkInterfaces() uses) are refused by seccomp
  const devs = require('fs').readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).filter(Boolean);
  console.log('IFACES', JSON.stringify(devs.map((line) => line.split(':')[0].trim())));
  console.log('NET-DONE');
  process.exit(0);
});
`,
  bash: `
while read -r kind a b; do
  case $kind in
    T) if timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2" && echo hello >&3' _ "$a" "$b" 2>/dev/null; then echo "CONNECTED $a $b"; fi ;;
    U) echo hello > "/dev/udp/$a/$b" ;;
  esac
done 2>/dev/null
for name in example.com github.com; do getent hosts "$name" && echo "RESOLVED $name"; done
if timeout 1 bash -c 'exec 3<>/dev/tcp/1.1.1.1/443' 2>/dev/null; then echo "CONNECTED external"; fi
echo "IFACES $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')"
echo NET-DONE
`,
};

let engine: Engine;
let listeners: Listener[] = [];
let stdin = '';
let tmpDir = '';
const EXTERNAL = ['T 1.1.1.1 443', 'T 8.8.8.8 53', 'T 10.0.2.2 22', 'T 172.17.0.1 22', 'U 8.8.8.8 53'];

beforeAll(async () => {
  engine = await newEngine();
  tmpDir = hostTempDir('scriptbox-net-', os.tmpdir(), 0o777);
  const lines: string[] = [];
  const tcpLo = await streamListener('tcp 127.0.0.1', '127.0.0.1');
  listeners.push(tcpLo);
  lines.push(`T 127.0.0.1 ${tcpLo.port}`, `T localhost ${tcpLo.port}`);
  const hostIps = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
  for (const ip of hostIps) {
    const server = await streamListener(`tcp ${ip}`, ip);
    listeners.push(server);
    lines.push(`T ${ip} ${server.port}`);
  }
  const udp = await udpListener('udp 127.0.0.1');
  listeners.push(udp);
  lines.push(`U 127.0.0.1 ${udp.port}`);
  for (const ip of hostIps) lines.push(`U ${ip} ${udp.port}`);
  const abstractName = token('scriptbox-abstract-');
  listeners.push(await streamListener('abstract unix socket', `\0${abstractName}`));
  lines.push(`A ${abstractName}`);
  const socketPath = path.join(tmpDir, 'sock');
  listeners.push(await streamListener('unix socket in the host temp dir', socketPath));
  fs.chmodSync(socketPath, 0o777);
  lines.push(`S ${socketPath}`, `S /proc/1/root${socketPath}`);
  stdin = [...lines, ...EXTERNAL].join('\n') + '\n';
  // Control: each listener does count a connection or datagram coming from the host itself.
  await hostTouchesEveryListener(lines);
});

async function hostTouchesEveryListener(lines: string[]): Promise<void> {
  for (const line of lines) {
    const [kind, a = '', b = ''] = line.split(' ');
    if (kind === 'U') {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.send('control', Number(b), a, () => resolve()));
      s.close();
      continue;
    }
    const target = kind === 'T' ? { host: a, port: Number(b) } : { path: kind === 'A' ? `\0${a}` : a };
    await new Promise<void>((resolve) => {
      const c = net.connect(target, () => c.end(resolve));
      c.on('error', () => resolve());
    });
  }
  // Datagrams and connections land asynchronously: wait for the counts, not for a fixed time.
  await waitUntil(() => listeners.every((listener) => listener.hits > 0), {
    what: 'every listener to count the host’s own connection or datagram',
  }).catch(() => undefined); // the expectations below name the listener that saw nothing
  for (const listener of listeners) {
    expect(listener.hits, `control for ${listener.label}`).toBeGreaterThan(0);
    listener.hits = 0;
  }
}

afterAll(async () => {
  await engine?.close();
  await Promise.all(listeners.map((l) => l.close()));
  listeners = [];
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe.each(LANGS)('network (%s)', (lang) => {
  it('cannot reach host TCP/UDP/unix listeners, external hosts or DNS; only lo exists', async () => {
    for (const listener of listeners) listener.hits = 0;
    const result = await run(engine, {
      language: lang,
      source: CLIENTS[lang],
      stdin,
      limits: { timeoutMs: 8_000 },
    });
    expect(result.stdout, result.stderr).toContain('NET-DONE');
    await sleep(200); // let any datagram or late connection arrive
    for (const listener of listeners) expect(listener.hits, listener.label).toBe(0);
    expect(result.stdout).not.toMatch(/CONNECTED|RESOLVED|DNS-REPLY/);
    const ifaces = /IFACES (.*)/.exec(result.stdout)?.[1] ?? '';
    expect(ifaces.match(/[A-Za-z0-9_-]+/g)).toEqual(['lo']);
  });
});

describe('network routes (python)', () => {
  it('has no route and no interface besides lo inside the sandbox', async () => {
    const result = await run(engine, {
      language: 'python',
      source: `
print("ROUTES", open("/proc/net/route").read().splitlines()[1:])
print("ROUTES6", [l for l in open("/proc/net/ipv6_route").read().splitlines() if not l.endswith(" lo")])
print("DEV", [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]])
`,
    });
    expect(result.stdout).toContain('ROUTES []');
    expect(result.stdout).toContain('ROUTES6 []');
    expect(result.stdout).toContain("DEV ['lo']");
  });
});
