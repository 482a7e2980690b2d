/**
 * Name resolution for the proxy: operator overrides first (`NAME:ADDRESS`, like curl's --resolve, exact
 * name, case-insensitive, repeatable for several addresses), then the host's resolver (dns.lookup, all
 * addresses) with a timeout. The sandbox has no DNS of its own: this is the only resolution there is.
 */
import dns from 'node:dns';
import { InvalidOptionsError } from '../errors.js';
import { normalizeHost } from './host-name.js';
import { parseIpLiteral } from './ip.js';

export const DEFAULT_LOOKUP_TIMEOUT_MS = 5_000;

/** One override, `NAME:ADDRESS` (`ADDRESS` an IP, IPv6 bracketed or not); InvalidOptionsError otherwise. */
export function parseResolveEntry(text: string): { name: string; address: string } {
  const colon = text.indexOf(':');
  const name = colon > 0 ? normalizeHost(text.slice(0, colon).trim()) : null;
  const address = colon > 0 ? parseIpLiteral(text.slice(colon + 1).trim()) : null;
  if (!name || name.kind !== 'name' || !address) {
    const issue = `resolve entry ${JSON.stringify(text)}: write NAME:ADDRESS, like example.test:127.0.0.1 or example.test:[::1]`;
    throw new InvalidOptionsError(`invalid ${issue}`, [issue]);
  }
  return { name: name.host, address: address.address };
}

export class ResolveError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ResolveError';
  }
}

export class Resolver {
  private readonly overrides = new Map<string, string[]>();
  private readonly timeoutMs: number;

  constructor(overrides: readonly string[] = [], opts: { timeoutMs?: number } = {}) {
    for (const entry of overrides) {
      const { name, address } = parseResolveEntry(entry);
      const list = this.overrides.get(name) ?? [];
      if (!list.includes(address)) list.push(address);
      this.overrides.set(name, list);
    }
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  }

  /** Every address of `name` (normalized); an IP literal resolves to itself. Throws ResolveError. */
  async lookup(name: string, signal?: AbortSignal): Promise<string[]> {
    const host = normalizeHost(name);
    if (!host) throw new ResolveError(`${JSON.stringify(name)} is not a valid host name`, 'EINVAL');
    if (host.kind === 'ip') return [host.host];
    const overridden = this.overrides.get(host.host);
    if (overridden) return [...overridden];
    signal?.throwIfAborted();
    return new Promise<string[]>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(new ResolveError(`resolving ${host.host} was cancelled`, 'ABORT_ERR'));
      };
      // dns.lookup cannot be cancelled: on timeout or abort we stop waiting and ignore its answer.
      const timer = setTimeout(() => {
        done();
        reject(new ResolveError(`resolving ${host.host} took longer than ${this.timeoutMs} ms`, 'ETIMEOUT'));
      }, this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      dns.lookup(host.host, { all: true, verbatim: true }, (error, addresses) => {
        if (signal?.aborted) return;
        done();
        if (error) {
          reject(
            new ResolveError(
              `cannot resolve ${host.host} (${error.code ?? error.message})`,
              error.code ?? 'ENOTFOUND',
            ),
          );
          return;
        }
        const normal = addresses
          .map((a) => parseIpLiteral(a.address)?.address)
          .filter((a): a is string => !!a);
        if (normal.length === 0) reject(new ResolveError(`${host.host} has no address`, 'ENODATA'));
        else resolve([...new Set(normal)]);
      });
    });
  }
}
