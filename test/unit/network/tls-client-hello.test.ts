/**
 * The ClientHello parser and the first-bytes check against real ClientHellos, captured from node:tls and
 * `openssl s_client` connecting to a local listener, plus cut, split and random inputs.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFirstBytes } from '../../../src/network/first-bytes.js';
import { parseClientHello } from '../../../src/network/tls-client-hello.js';

/** The first TLS record a client sends to a local listener (read by its own length, not by the parser). */
async function capture(start: (port: number) => () => void): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      let stop: () => void = () => undefined;
      server.once('connection', (socket) => {
        let data = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          data = Buffer.concat([data, chunk]);
          if (data.length >= 5 && data.length >= 5 + data.readUInt16BE(3)) {
            socket.destroy();
            stop();
            resolve(data.subarray(0, 5 + data.readUInt16BE(3)));
          }
        });
        socket.on('error', reject);
      });
      stop = start(port);
    });
  } finally {
    server.close();
  }
}

const nodeHello = (servername: string | undefined) =>
  capture((port) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}) });
    socket.on('error', () => undefined);
    return () => socket.destroy();
  });

const opensslHello = (args: string[]) =>
  capture((port) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    return () => child.kill();
  });

let hellos: Record<string, Buffer> = {};
beforeAll(async () => {
  hellos = {
    nodeSni: await nodeHello('Allowed.Test'),
    nodeNoSni: await nodeHello(undefined), // an IP host: Node sends no SNI
    opensslSni: await opensslHello(['-servername', 'api.example.com']),
    opensslNoSni: await opensslHello(['-noservername']),
    openssl12: await opensslHello(['-tls1_2', '-servername', 'old.example.com']),
  };
}, 30_000);

describe('parseClientHello on real ClientHellos', () => {
  it.each([
    ['nodeSni', 'allowed.test'],
    ['nodeNoSni', null],
    ['opensslSni', 'api.example.com'],
    ['opensslNoSni', null],
    ['openssl12', 'old.example.com'],
  ])('%s: SNI %s', (name, sni) => {
    expect(parseClientHello(hellos[name] ?? Buffer.alloc(0))).toEqual({ state: 'complete', sni });
  });

  it('every proper prefix is incomplete', () => {
    const hello = hellos.opensslSni ?? Buffer.alloc(0);
    for (let n = 0; n < hello.length; n++)
      expect(parseClientHello(hello.subarray(0, n)).state, `${n} bytes`).toBe('incomplete');
  });

  it('a ClientHello split over several handshake records is complete', () => {
    const hello = hellos.nodeSni ?? Buffer.alloc(0);
    const body = hello.subarray(5);
    const cut = 40;
    const record = (part: Buffer) =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 255]), part]);
    const split = Buffer.concat([record(body.subarray(0, cut)), record(body.subarray(cut))]);
    expect(parseClientHello(split)).toEqual({ state: 'complete', sni: 'allowed.test' });
    expect(parseClientHello(split.subarray(0, 5 + cut + 3))).toEqual({ state: 'incomplete' });
    // An application-data record before the ClientHello is whole: never more bytes to wait for.
    const interrupted = Buffer.concat([
      record(body.subarray(0, cut)),
      Buffer.from([0x17, 0x03, 0x03, 0, 1, 0]),
    ]);
    expect(parseClientHello(interrupted).state).toBe('invalid');
  });

  it('refuses a tampered length or a second server_name', () => {
    const hello = Buffer.from(hellos.opensslSni ?? Buffer.alloc(0));
    const tampered = Buffer.from(hello);
    tampered[5 + 4 + 2 + 32] = 200; // session id length past 32
    expect(parseClientHello(tampered).state).toBe('invalid');
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')).state).toBe('invalid');
  });

  it('never throws on random bytes, and random bytes after a 0x16 header are never "complete with SNI" by accident of reading past the end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const result = parseClientHello(bytes);
        expect(['incomplete', 'invalid', 'complete']).toContain(result.state);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (noise, at) => {
        const hello = Buffer.from(hellos.nodeSni ?? Buffer.alloc(0));
        const i = at % hello.length;
        for (const [k, b] of noise.entries()) if (i + k < hello.length) hello[i + k] = b;
        const result = parseClientHello(hello);
        if (result.state === 'complete' && result.sni !== null) expect(result.sni).toMatch(/^[\x21-\x7e]+$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkFirstBytes', () => {
  const target = { host: 'allowed.test', port: 443, ip: false };

  it('passes a ClientHello for the target, refuses another SNI or none', () => {
    expect(checkFirstBytes(hellos.nodeSni ?? Buffer.alloc(0), target)).toEqual({ state: 'pass' });
    expect(checkFirstBytes(hellos.opensslSni ?? Buffer.alloc(0), target)).toMatchObject({
      state: 'refuse',
      reason: expect.stringContaining('api.example.com') as string,
    });
    expect(checkFirstBytes(hellos.nodeNoSni ?? Buffer.alloc(0), target)).toMatchObject({
      state: 'refuse',
      reason: expect.stringContaining('without SNI') as string,
    });
    expect(
      checkFirstBytes(hellos.nodeNoSni ?? Buffer.alloc(0), { host: '10.0.0.5', port: 443, ip: true }),
    ).toEqual({ state: 'pass' });
  });

  it.each([
    ['GET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n', 'pass'],
    ['GET / HTTP/1.1\r\nHost: ALLOWED.test.:443\r\n\r\n', 'pass'],
    ['\r\n\r\nGET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n', 'pass'],
    ['GET / HTTP/1.1\r\nHost: other.test\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nHost: allowed.test:444\r\n\r\n', 'refuse'],
    ['\r\nGET / HTTP/1.1\r\nHost: other.test\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\nHost: other.test\n\n', 'refuse'],
    ['GET http://other.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nHost: allowed.test\r\nHost: other.test\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nX: y\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nHost : other.test\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nX: y\r\n other\r\nHost: allowed.test\r\n\r\n', 'refuse'],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'refuse'],
    ['GET / HTTP/1.1\r\nHost: allowed.test\r\n', 'incomplete'],
    ['GET / HT', 'incomplete'],
    ['EHLO client.example\r\n', 'pass'],
    ['\x00\x01binary', 'pass'],
  ])('%j: %s', (text, state) => {
    expect(checkFirstBytes(Buffer.from(text, 'latin1'), target).state).toBe(state);
  });
});
