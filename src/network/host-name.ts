/**
 * What a destination host is, once normalized: an IP literal (any notation, see ip.ts) or a DNS name in
 * lowercase ASCII (IDN to punycode, one trailing dot removed). Names that end in a number but are no valid
 * IPv4 are invalid, as in the WHATWG URL parser, so they can never reach a resolver as a "name".
 */
import { domainToASCII } from 'node:url';
import { looksNumeric, parseIpLiteral } from './ip.js';

export type NormalHost = { kind: 'ip'; family: 4 | 6; host: string } | { kind: 'name'; host: string };

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** The normalized host, or null when `text` is neither an IP literal nor a valid DNS name. */
export function normalizeHost(text: string): NormalHost | null {
  const ip = parseIpLiteral(text);
  if (ip) return { kind: 'ip', family: ip.family, host: ip.address };
  if (text.includes(':') || text.includes('[') || text.length === 0) return null;
  if (looksNumeric(text)) return null;
  let name = text.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  // domainToASCII lowercases, maps IDN to punycode, and returns '' for what cannot be a host.
  const ascii = /^[\x21-\x7e]*$/.test(name) && !/[^a-z0-9._-]/.test(name) ? name : domainToASCII(name);
  if (ascii === '' || ascii.length > 253) return null;
  if (!ascii.split('.').every((label) => LABEL.test(label))) return null;
  if (looksNumeric(ascii)) return null;
  return { kind: 'name', host: ascii };
}

/** Splits `host:port` / `[v6]:port` (authority form); null when malformed or the port is out of range. */
export function splitHostPort(authority: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(authority);
  if (!match) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  return { host: match[1] ?? '', port };
}

/**
 * Whether a Host header value (`name`, `name:port`, `[v6]:port`) names `target`: the same normalized host,
 * and the same port; a value without a port names `defaultPort` (any port when none is given: tunnels do
 * not know the scheme).
 */
export function hostValueMatches(
  value: string,
  target: { host: string; port: number },
  defaultPort?: number,
): boolean {
  const text = value.trim();
  const split = splitHostPort(text);
  const host = normalizeHost(split ? split.host : text);
  if (!host || host.host !== target.host) return false;
  if (split) return split.port === target.port;
  return defaultPort === undefined || defaultPort === target.port;
}
