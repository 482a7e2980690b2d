/**
 * The check on the first bytes a client sends through a tunnel (CONNECT or SOCKS5) to a destination the
 * proxy already allowed: a TLS ClientHello must name that destination in its SNI (none only when the
 * destination is an allowed IP), a plain HTTP request must carry that Host (and no absolute URI for
 * another host); anything else passes, so other protocols work. Only the first request of a tunnel is
 * seen; later ones reach the same, allowed server (as with TLS, where nothing after the ClientHello is
 * readable).
 */
import { hostValueMatches, normalizeHost } from './host-name.js';
import { looksLikeTls, parseClientHello } from './tls-client-hello.js';

export type FirstBytesVerdict =
  { state: 'incomplete' } | { state: 'pass' } | { state: 'refuse'; reason: string };

export interface TunnelTarget {
  /** Normalized name or IP the tunnel was allowed for. */
  host: string;
  port: number;
  ip: boolean;
}

const MAX_LINE_BYTES = 8_192;
const MAX_HEAD_BYTES = 65_536;

function checkTls(data: Buffer, target: TunnelTarget): FirstBytesVerdict {
  const hello = parseClientHello(data);
  if (hello.state === 'incomplete') return hello;
  if (hello.state === 'invalid')
    return { state: 'refuse', reason: `not a valid TLS ClientHello (${hello.reason})` };
  if (hello.sni === null)
    return target.ip
      ? { state: 'pass' }
      : { state: 'refuse', reason: `TLS ClientHello without SNI; connect with server name ${target.host}` };
  const sni = normalizeHost(hello.sni);
  if (sni && sni.host === target.host) return { state: 'pass' };
  return {
    state: 'refuse',
    reason: `TLS SNI ${hello.sni} differs from the allowed destination ${target.host}`,
  };
}

function checkHttpHead(text: string, target: TunnelTarget): FirstBytesVerdict {
  const lines = text.split(/\r?\n/);
  const requestLine = lines[0] ?? '';
  const uri = requestLine.split(/\s+/)[1] ?? '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    let authority = '';
    try {
      authority = new URL(uri).host;
    } catch {
      return { state: 'refuse', reason: 'malformed absolute URI in the request line' };
    }
    if (!hostValueMatches(authority, target))
      return { state: 'refuse', reason: `request URI host ${authority} differs from ${target.host}` };
  }
  const hosts: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) return { state: 'refuse', reason: 'folded HTTP header lines are not accepted' };
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (/^\s*host\s*$/i.test(name)) {
      if (name.toLowerCase() !== 'host')
        return { state: 'refuse', reason: 'whitespace around the Host header name' };
      hosts.push(line.slice(colon + 1));
    }
  }
  if (hosts.length !== 1)
    return {
      state: 'refuse',
      reason: `HTTP request needs exactly one Host header (${target.host}), found ${hosts.length}`,
    };
  if (!hostValueMatches(hosts[0] ?? '', target))
    return {
      state: 'refuse',
      reason: `HTTP Host ${(hosts[0] ?? '').trim()} differs from the allowed destination ${target.host}`,
    };
  return { state: 'pass' };
}

/** The verdict on the bytes a client sent so far through a tunnel to `target`. */
export function checkFirstBytes(data: Buffer, target: TunnelTarget): FirstBytesVerdict {
  if (data.length === 0) return { state: 'incomplete' };
  if (looksLikeTls(data)) return checkTls(data, target);
  // HTTP servers skip empty lines before the request line: so do we.
  let start = 0;
  while (start < data.length && (data[start] === 0x0d || data[start] === 0x0a)) start++;
  if (start === data.length)
    return data.length > MAX_LINE_BYTES ? { state: 'pass' } : { state: 'incomplete' };
  const rest = data.subarray(start);
  const newline = rest.indexOf(0x0a);
  if (newline < 0) {
    const printable = rest.every((b) => b === 0x09 || b === 0x0d || (b >= 0x20 && b < 0x7f));
    if (!printable) return { state: 'pass' };
    if (rest.length < MAX_LINE_BYTES) return { state: 'incomplete' };
    return /HTTP\//i.test(rest.toString('latin1'))
      ? { state: 'refuse', reason: 'HTTP request line too long' }
      : { state: 'pass' };
  }
  const line = rest.subarray(0, newline).toString('latin1');
  if (!/HTTP\/\d/i.test(line)) return { state: 'pass' };
  const text = rest.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  if (!end)
    return rest.length < MAX_HEAD_BYTES
      ? { state: 'incomplete' }
      : { state: 'refuse', reason: 'HTTP request head too large' };
  return checkHttpHead(text.slice(0, end.index), target);
}
