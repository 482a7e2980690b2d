/**
 * IP literals in every notation a client library or resolver accepts, and the class of an address (what
 * the proxy refuses after resolving). Parsing follows inet_aton / the WHATWG URL host parser for IPv4
 * (1 to 4 parts, each decimal, 0x-hex or 0-octal, the last part filling the remaining bytes: `127.1`,
 * `2130706433`, `0x7f000001`, `0177.0.0.1`) and RFC 4291 for IPv6 (with `::`, a dotted IPv4 tail,
 * brackets and a zone id). Addresses come out normalized: dotted decimal, and compressed lowercase IPv6.
 */

export interface IpLiteral {
  family: 4 | 6;
  address: string;
}

export type AddressClass =
  'public' | 'private' | 'loopback' | 'link-local' | 'multicast' | 'metadata' | 'unspecified' | 'reserved';

/** Cloud metadata endpoints: refused even with allowPrivate, unless the exact address is an allow entry. */
const METADATA = new Set([
  '169.254.169.254', // AWS, GCP, Azure IMDS, OpenStack, ...
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure wire server
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2::254', // AWS IMDS over IPv6
]);

/** One IPv4 part in inet_aton notation, or null. */
function parseV4Part(part: string): number | null {
  if (part === '') return null;
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return parseInt(part.slice(1), 8);
  if (/^(0|[1-9]\d*)$/.test(part)) return Number(part);
  return null;
}

/** The 32-bit value of an IPv4 literal in any inet_aton notation, or null. */
function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    const value = parseV4Part(part);
    if (value === null || !Number.isFinite(value)) return null;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255)) return null;
  if (last >= 2 ** (8 * (4 - values.length))) return null;
  let result = 0;
  values.forEach((v, i) => (result += v * 2 ** (8 * (3 - i))));
  return result + last;
}

function v4ToText(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The 8 groups of an IPv6 literal (no brackets, no zone), or null. */
function parseV6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(':')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const toGroups = (half: string): number[] | null => {
    if (half === '') return [];
    const groups: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? '';
      if (piece.includes('.')) {
        // A dotted IPv4 tail: strict dotted decimal, only as the last piece.
        if (i !== pieces.length - 1 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return null;
        const bytes = piece.split('.').map(Number);
        if (bytes.some((b) => b > 255)) return null;
        const [a = 0, b = 0, c = 0, d = 0] = bytes;
        groups.push(a * 256 + b, c * 256 + d);
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(piece)) return null;
        groups.push(parseInt(piece, 16));
      }
    }
    return groups;
  };
  const head = toGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...Array<number>(missing).fill(0), ...tail];
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function v6ToText(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * An IP literal in any notation (`[v6]`, zone ids, a trailing dot on IPv4), normalized; null when `host`
 * is not one. A host whose last label is numeric but that is no valid IPv4 (`1.2.3.256`, `08.1`) is still
 * no name: see `looksNumeric`.
 */
export function parseIpLiteral(host: string): IpLiteral | null {
  let text = host.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes(':')) {
    const zone = text.search(/%/);
    if (zone >= 0) text = text.slice(0, zone); // fe80::1%eth0, fe80::1%25eth0
    const groups = parseV6(text);
    return groups ? { family: 6, address: v6ToText(groups) } : null;
  }
  if (text.endsWith('.')) text = text.slice(0, -1);
  const value = parseV4(text);
  return value === null ? null : { family: 4, address: v4ToText(value) };
}

/** True when the last label of `host` is numeric (WHATWG "ends in a number"): it is an IP or invalid. */
export function looksNumeric(host: string): boolean {
  const labels = host.replace(/\.$/, '').split('.');
  const last = labels[labels.length - 1] ?? '';
  return /^(\d+|0x[0-9a-f]*)$/i.test(last);
}

function classifyV4(value: number): AddressClass {
  const text = v4ToText(value);
  if (METADATA.has(text)) return 'metadata';
  const [a = 0, b = 0, c = 0] = text.split('.').map(Number);
  if (value === 0) return 'unspecified';
  if (a === 0) return 'reserved'; // "this network"
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // CGNAT
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // class E and broadcast
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return 'reserved'; // IETF assignments, TEST-NET-1
  if (a === 192 && b === 88 && c === 99) return 'reserved'; // 6to4 relay anycast
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a === 198 && b === 51 && c === 100) return 'reserved'; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return 'reserved'; // TEST-NET-3
  return 'public';
}

function embeddedV4(g: readonly number[], hi: number): number {
  return (g[hi] ?? 0) * 65536 + (g[hi + 1] ?? 0);
}

function classifyV6(g: readonly number[], text: string): AddressClass {
  if (METADATA.has(text)) return 'metadata';
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(embeddedV4(g, 6)); // ::ffff:a.b.c.d mapped
  if (zeroUpTo(6)) return classifyV4(embeddedV4(g, 6)); // ::a.b.c.d compatible (deprecated)
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return classifyV4(embeddedV4(g, 6)); // SIIT
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return classifyV4(embeddedV4(g, 6)); // NAT64 well-known prefix
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'private'; // local-use NAT64
  if (g[0] === 0x2002) return classifyV4(embeddedV4(g, 1)); // 6to4
  const first = g[0] ?? 0;
  if (first >= 0xff00) return 'multicast';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((first & 0xfe00) === 0xfc00) return 'private'; // ULA fc00::/7
  if (first === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  if (first === 0x2001 && (g[1] ?? 0) < 0x0200) return 'reserved'; // IETF protocol assignments incl. Teredo
  if (first === 0x3fff && (g[1] ?? 0) < 0x1000) return 'reserved'; // documentation (RFC 9637)
  if ((first & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast 2000::/3
  return 'public';
}

/**
 * The class of an address in any notation; IPv6 addresses that embed an IPv4 one (mapped, compatible,
 * NAT64, 6to4) are classed as that IPv4 address. Text that is no IP literal is 'reserved' (refused).
 */
export function classifyAddress(address: string): AddressClass {
  const literal = parseIpLiteral(address);
  if (!literal) return 'reserved';
  if (literal.family === 4) return classifyV4(parseV4(literal.address) ?? 0);
  let text = address.trim();
  if (text.startsWith('[')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  const groups = parseV6(zone >= 0 ? text.slice(0, zone) : text) ?? [];
  return classifyV6(groups, literal.address);
}
