/**
 * The proxy's decision on a destination, made on names: is the host allowed (a name on the allowlist, or
 * an IP literal allowed as an IP), what does it resolve to, and is every address acceptable. Then opening
 * the upstream connection within the connect timeout.
 */
import net from 'node:net';
import type { AllowList } from './allowlist.js';
import { normalizeHost } from './host-name.js';
import { classifyAddress } from './ip.js';
import type { Resolver } from './resolver.js';
import type { TunnelTarget } from './first-bytes.js';

export interface DecideGrant {
  allow: AllowList;
  allowPrivate: boolean;
}

/** Why a destination failed: `forbidden` by policy, `unresolved`, or the connection `refused`/`timeout`. */
export type FailureKind = 'forbidden' | 'unresolved' | 'refused' | 'timeout';

export type Decision =
  { ok: true; target: TunnelTarget; addresses: string[] } | { ok: false; kind: FailureKind; reason: string };

const forbidden = (reason: string): Decision => ({ ok: false, kind: 'forbidden', reason });

/** `host:port` for messages, IPv6 bracketed. */
export function destinationText(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Decides on `rawHost` (as the client gave it) and `port`; resolves names with `resolver`. */
export async function decide(
  grant: DecideGrant,
  resolver: Resolver,
  rawHost: string,
  port: number,
  signal?: AbortSignal,
): Promise<Decision> {
  const host = normalizeHost(rawHost);
  if (!host) return forbidden(`${JSON.stringify(rawHost)} is not a valid host name or IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return forbidden(`port ${port} is not valid`);
  const rule = grant.allow.match(host.host, port);
  if (host.kind === 'ip') {
    // An IP literal (any notation) is reachable only as an exact IP allow entry, whatever its class: the
    // operator named that address.
    if (!rule)
      return forbidden(
        `IP address ${host.host} is not allowed; ask for the host name, or allow the IP itself`,
      );
    return { ok: true, target: { host: host.host, port, ip: true }, addresses: [host.host] };
  }
  if (!rule) {
    const otherPort = grant.allow.rules.some((r) => !r.ip && grant.allow.match(host.host, r.ports[0] ?? 0));
    return forbidden(
      otherPort
        ? `${host.host} is allowed, but not on port ${port}; add ${host.host}:${port} to the allowed hosts`
        : `${host.host} is not on the allowed hosts; add it to network.allow`,
    );
  }
  let addresses: string[];
  try {
    addresses = await resolver.lookup(host.host, signal);
  } catch (error) {
    return { ok: false, kind: 'unresolved', reason: (error as Error).message };
  }
  // Refuse when ANY address is forbidden, not just skip it: a name that mixes public and private
  // addresses is the shape of DNS rebinding, and which address a client "meant" is unknowable. Refusing
  // keeps the decision independent of address order and of which connection attempt happens to succeed.
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === 'public') continue;
    if (grant.allow.match(address, port)) continue; // the exact IP is an allow entry
    if (cls === 'metadata')
      return forbidden(
        `${host.host} resolves to ${address}, a cloud metadata address, which is never reachable`,
      );
    if (!grant.allowPrivate)
      return forbidden(
        `${host.host} resolves to ${address} (${cls}); the operator must allow private networks for that`,
      );
  }
  return { ok: true, target: { host: host.host, port, ip: false }, addresses };
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'timeout',
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/** Connects to the first address that answers, all within `timeoutMs`; ConnectError otherwise. */
export async function connectFirst(
  addresses: readonly string[],
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const deadline = performance.now() + timeoutMs;
  let lastError = 'no address';
  for (const address of addresses) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    try {
      return await connectOne(address, port, left, signal);
    } catch (error) {
      if (error instanceof ConnectError && error.kind === 'timeout') throw error;
      lastError = (error as Error).message;
    }
  }
  if (performance.now() >= deadline)
    throw new ConnectError(`connecting took longer than ${timeoutMs} ms (connectTimeoutMs)`, 'timeout');
  throw new ConnectError(`connection failed: ${lastError}`, 'refused');
}

function connectOne(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: address, port, noDelay: true });
    const fail = (error: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new ConnectError('cancelled', 'refused'));
    const timer = setTimeout(
      () =>
        fail(
          new ConnectError(
            `connecting took longer than ${Math.round(timeoutMs)} ms (connectTimeoutMs)`,
            'timeout',
          ),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(new ConnectError(error.code ?? error.message, 'refused')),
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
