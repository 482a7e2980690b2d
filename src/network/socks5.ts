/**
 * SOCKS5 (RFC 1928) on the proxy's socket: no authentication, CONNECT only, addresses as a domain name,
 * IPv4 or IPv6. The address the client gives is decided on like any other (names on the allowlist, IPs
 * only when allowed as IPs), then the connection is a tunnel (connect-tunnel.ts).
 */
import type net from 'node:net';
import { openTunnel } from './connect-tunnel.js';
import type { FailureKind } from './decide.js';
import type { ProxyContext } from './proxy-context.js';

export const SOCKS_VERSION = 0x05;

/** Reply codes of RFC 1928 §6. */
const REPLY = {
  succeeded: 0x00,
  failure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressNotSupported: 0x08,
} as const;

const REPLY_FOR: Record<FailureKind | 'limit', number> = {
  forbidden: REPLY.notAllowed,
  limit: REPLY.notAllowed,
  unresolved: REPLY.hostUnreachable,
  refused: REPLY.connectionRefused,
  timeout: REPLY.hostUnreachable,
};

export type SocksRequest =
  | { state: 'incomplete' }
  | { state: 'invalid'; reply: number | null; reason: string }
  | { state: 'complete'; host: string; port: number; rest: Buffer };

/** Parses a greeting; the byte count it used, 0 while incomplete, or an error. */
export function parseGreeting(
  data: Buffer,
): { used: number; noAuth: boolean } | { used: 0 } | { invalid: string } {
  if (data.length < 2) return { used: 0 };
  if (data[0] !== SOCKS_VERSION) return { invalid: 'not SOCKS version 5' };
  const count = data[1] ?? 0;
  if (data.length < 2 + count) return { used: 0 };
  return { used: 2 + count, noAuth: data.subarray(2, 2 + count).includes(0x00) };
}

/** Parses a request (after the greeting). */
export function parseRequest(data: Buffer): SocksRequest {
  if (data.length < 4) return { state: 'incomplete' };
  if (data[0] !== SOCKS_VERSION || data[2] !== 0x00)
    return { state: 'invalid', reply: REPLY.failure, reason: 'malformed SOCKS5 request' };
  if (data[1] !== 0x01)
    return { state: 'invalid', reply: REPLY.commandNotSupported, reason: 'only SOCKS5 CONNECT is supported' };
  let host: string;
  let end: number;
  switch (data[3]) {
    case 0x01:
      end = 4 + 4;
      if (data.length < end + 2) return { state: 'incomplete' };
      host = [...data.subarray(4, end)].join('.');
      break;
    case 0x03: {
      if (data.length < 5) return { state: 'incomplete' };
      end = 5 + (data[4] ?? 0);
      if (data.length < end + 2) return { state: 'incomplete' };
      host = data.subarray(5, end).toString('latin1');
      break;
    }
    case 0x04: {
      end = 4 + 16;
      if (data.length < end + 2) return { state: 'incomplete' };
      const groups: string[] = [];
      for (let i = 4; i < end; i += 2) groups.push(data.readUInt16BE(i).toString(16));
      host = groups.join(':');
      break;
    }
    default:
      return { state: 'invalid', reply: REPLY.addressNotSupported, reason: 'unknown SOCKS5 address type' };
  }
  return { state: 'complete', host, port: data.readUInt16BE(end), rest: data.subarray(end + 2) };
}

function reply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}

/** Serves one SOCKS5 client whose first bytes (`first`, starting with 0x05) were already read. */
export function serveSocks5(ctx: ProxyContext, client: net.Socket, first: Buffer): void {
  let buffer = first;
  let greeted = false;
  const fail = (destination: string, code: number | null, reason: string): void => {
    ctx.refuse(destination, 'socks5', reason);
    if (code === null) client.destroy();
    else client.end(reply(code));
  };
  const onData = (chunk?: Buffer): void => {
    if (chunk) buffer = Buffer.concat([buffer, chunk]);
    if (buffer.length > 1024) return fail('(socks5)', REPLY.failure, 'SOCKS5 handshake too long');
    if (!greeted) {
      const greeting = parseGreeting(buffer);
      if ('invalid' in greeting) return fail('(socks5)', null, greeting.invalid);
      if (greeting.used === 0) return;
      if (!('noAuth' in greeting) || !greeting.noAuth) {
        ctx.refuse('(socks5)', 'socks5', 'SOCKS5 client offers no "no authentication" method');
        client.end(Buffer.from([SOCKS_VERSION, 0xff]));
        return;
      }
      greeted = true;
      buffer = buffer.subarray(greeting.used);
      client.write(Buffer.from([SOCKS_VERSION, 0x00]));
    }
    const request = parseRequest(buffer);
    if (request.state === 'incomplete') return;
    client.off('data', onData);
    client.pause();
    if (request.state === 'invalid') return fail('(socks5)', request.reply, request.reason);
    void openTunnel(ctx, 'socks5', client, request.host, request.port, request.rest, {
      ok: () => client.write(reply(REPLY.succeeded)),
      refuse: (_reason, kind) => client.end(reply(REPLY_FOR[kind])),
    });
  };
  client.on('data', onData);
  onData();
  client.resume();
}
