/**
 * An incremental parser of the first bytes of a TLS connection: the ClientHello (possibly spread over
 * several handshake records) and its server_name. Given the bytes received so far it says whether they
 * are a complete ClientHello (with its SNI host name, or none), need more bytes, or are not a valid one.
 * It never throws and never reads past the buffer, whatever it is given.
 */

export type ClientHelloResult =
  { state: 'incomplete' } | { state: 'invalid'; reason: string } | { state: 'complete'; sni: string | null };

/** A ClientHello larger than this is refused (real ones are well under 16 KiB, even with PQ key shares). */
export const MAX_CLIENT_HELLO_BYTES = 65_536;

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;

/** True when `data` starts like a TLS handshake record (the caller then parses it as a ClientHello). */
export function looksLikeTls(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === HANDSHAKE;
}

/** Joins the payloads of the leading handshake records; 'incomplete' while a record is partial. */
/** `ended`: a non-handshake record follows, so no more ClientHello bytes can come. */
function handshakeBytes(data: Uint8Array): { bytes: Uint8Array; ended: boolean } | string {
  const parts: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] !== HANDSHAKE)
      return parts.length > 0 ? { bytes: concat(parts, total), ended: true } : 'not a TLS handshake record';
    if (data.length - offset < 5) break;
    if (data[offset + 1] !== 0x03) return 'unknown TLS record version';
    const length = ((data[offset + 3] ?? 0) << 8) | (data[offset + 4] ?? 0);
    if (length === 0 || length > 16_384) return 'invalid TLS record length';
    if (data.length - offset - 5 < length) {
      parts.push(data.subarray(offset + 5));
      total += data.length - offset - 5;
      return { bytes: concat(parts, total), ended: false };
    }
    parts.push(data.subarray(offset + 5, offset + 5 + length));
    total += length;
    offset += 5 + length;
  }
  return { bytes: concat(parts, total), ended: false };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

class Reader {
  offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
  ) {}
  left(): number {
    return this.end - this.offset;
  }
  u8(): number | null {
    if (this.left() < 1) return null;
    return this.bytes[this.offset++] ?? null;
  }
  u16(): number | null {
    if (this.left() < 2) return null;
    const value = ((this.bytes[this.offset] ?? 0) << 8) | (this.bytes[this.offset + 1] ?? 0);
    this.offset += 2;
    return value;
  }
  take(n: number): Reader | null {
    if (n < 0 || this.left() < n) return null;
    const sub = new Reader(this.bytes, this.offset + n);
    sub.offset = this.offset;
    this.offset += n;
    return sub;
  }
  slice(n: number): Uint8Array | null {
    if (this.left() < n) return null;
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

function parseServerName(ext: Reader): string | { invalid: string } {
  const listLength = ext.u16();
  if (listLength === null || listLength !== ext.left() || listLength === 0)
    return { invalid: 'malformed server_name list' };
  let name: string | null = null;
  while (ext.left() > 0) {
    const type = ext.u8();
    const length = ext.u16();
    const bytes = length === null ? null : ext.slice(length);
    if (type === null || !bytes) return { invalid: 'malformed server_name entry' };
    if (type !== 0) continue; // only host_name (0) is defined
    if (name !== null) return { invalid: 'more than one host_name in server_name' };
    if (bytes.length === 0 || bytes.length > 253 || !bytes.every((b) => b > 0x20 && b < 0x7f))
      return { invalid: 'server_name is not an ASCII host name' };
    name = Buffer.from(bytes).toString('latin1').toLowerCase();
  }
  return name ?? { invalid: 'server_name without a host_name' };
}

/** Parses the bytes a client sent first on a connection (see the module comment). */
export function parseClientHello(data: Uint8Array): ClientHelloResult {
  if (data.length === 0) return { state: 'incomplete' };
  if (data.length > MAX_CLIENT_HELLO_BYTES + 1024)
    return { state: 'invalid', reason: 'ClientHello too large' };
  const joined = handshakeBytes(data);
  if (typeof joined === 'string') return { state: 'invalid', reason: joined };
  const { bytes } = joined;
  const more: ClientHelloResult = joined.ended
    ? { state: 'invalid', reason: 'ClientHello interrupted by another record' }
    : { state: 'incomplete' };
  if (bytes.length < 4) return more;
  if (bytes[0] !== CLIENT_HELLO)
    return { state: 'invalid', reason: 'first handshake message is not a ClientHello' };
  const length = ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (length > MAX_CLIENT_HELLO_BYTES) return { state: 'invalid', reason: 'ClientHello too large' };
  if (bytes.length - 4 < length) return more;
  const hello = new Reader(bytes, 4 + length);
  hello.offset = 4;
  const version = hello.u16();
  if (version === null || version >> 8 !== 0x03)
    return { state: 'invalid', reason: 'unknown ClientHello version' };
  if (!hello.slice(32)) return { state: 'invalid', reason: 'ClientHello too short' };
  const sessionLength = hello.u8();
  if (sessionLength === null || sessionLength > 32 || !hello.slice(sessionLength))
    return { state: 'invalid', reason: 'malformed session id' };
  const suitesLength = hello.u16();
  if (suitesLength === null || suitesLength < 2 || suitesLength % 2 !== 0 || !hello.slice(suitesLength))
    return { state: 'invalid', reason: 'malformed cipher suites' };
  const compressionLength = hello.u8();
  if (compressionLength === null || compressionLength < 1 || !hello.slice(compressionLength))
    return { state: 'invalid', reason: 'malformed compression methods' };
  if (hello.left() === 0) return { state: 'complete', sni: null }; // no extensions at all
  const extensionsLength = hello.u16();
  const extensions = extensionsLength === null ? null : hello.take(extensionsLength);
  if (!extensions || hello.left() !== 0) return { state: 'invalid', reason: 'malformed extensions' };
  let sni: string | null = null;
  let sawServerName = false;
  while (extensions.left() > 0) {
    const type = extensions.u16();
    const extLength = extensions.u16();
    const ext = extLength === null ? null : extensions.take(extLength);
    if (type === null || !ext) return { state: 'invalid', reason: 'malformed extension' };
    if (type !== EXT_SERVER_NAME) continue;
    if (sawServerName) return { state: 'invalid', reason: 'server_name extension repeated' };
    sawServerName = true;
    const name = parseServerName(ext);
    if (typeof name !== 'string') return { state: 'invalid', reason: name.invalid };
    sni = name;
  }
  return { state: 'complete', sni };
}
