/**
 * The network a source's run is granted: the allow entry for the source's own host (its port too when it
 * is not the scheme's default), plus the extraction's extra entries. Allow entries are the network layer's
 * (network/allowlist.ts): a name, a wildcard, an IP literal, each with an optional `:port`.
 */
import type { Source } from './sources.js';

/**
 * The allow entry for `url`: `example.com` (ports 80 and 443 are the default of every entry), or
 * `example.com:8443` for another port; an IPv6 host keeps its brackets (`[::1]:8080`).
 */
export function grantFor(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname.toLowerCase();
  // URL drops the scheme's default port, so a port here is always one to name.
  return parsed.port === '' ? host : `${host}:${parsed.port}`;
}

/** The allow list of one source's run: its own entry first, then the extra entries not already in it. */
export function allowFor(source: Source, extra: readonly string[]): string[] {
  const own = grantFor(source.url);
  return [own, ...extra.filter((entry) => entry !== own)];
}

/** Every distinct allow entry an extraction over `sources` asks for (what an operator's policy must cover). */
export function allowEntries(sources: readonly Source[], extra: readonly string[]): string[] {
  return [...new Set([...sources.map((source) => grantFor(source.url)), ...extra])];
}
