/**
 * The egress allowlist: which destinations a sandbox may reach. Entries are host names
 * (`api.example.com`), subdomain wildcards (`*.example.org`: subdomains at any depth, never the apex),
 * optionally with a port (`example.com:8443`; default ports 80 and 443), or IP literals (`10.0.0.5`,
 * `[::1]:8080`), which are the only way an IP destination is ever allowed.
 */
import { InvalidOptionsError } from '../errors.js';
import { normalizeHost } from './host-name.js';

export interface AllowRule {
  /** The entry as given. */
  text: string;
  /** Lowercase ASCII name (without `*.`), or the normalized IP. */
  host: string;
  wildcard: boolean;
  ip: boolean;
  ports: readonly number[];
}

export const DEFAULT_PORTS: readonly number[] = [80, 443];

const HOW =
  'write a host name (api.example.com), a subdomain wildcard (*.example.org), optionally with a port ' +
  '(example.com:8443), or an IP address (10.0.0.5, [::1]:8080)';

function invalid(text: string, why: string, what: string): InvalidOptionsError {
  const issue = `${what}: ${JSON.stringify(text)} ${why}; ${HOW}`;
  return new InvalidOptionsError(`invalid ${issue}`, [issue]);
}

function parseRule(text: string, what: string): AllowRule {
  const entry = text.trim();
  if (entry === '') throw invalid(text, 'is empty', what);
  if (/[/@?#\s]/.test(entry) || /^[a-z][a-z0-9+.-]*:\/\//i.test(entry))
    throw invalid(text, 'is not a bare host (no scheme, path or user)', what);
  let hostPart = entry;
  let ports = DEFAULT_PORTS;
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(entry);
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  const portText = bracketed ? bracketed[2] : withPort ? withPort[2] : undefined;
  if (bracketed) hostPart = bracketed[1] ?? '';
  else if (withPort) hostPart = withPort[1] ?? '';
  else if (/:\D|:$/.test(entry) && !entry.includes('::') && entry.split(':').length === 2)
    throw invalid(text, 'has an invalid port', what);
  if (portText !== undefined) {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw invalid(text, 'has a port outside 1-65535', what);
    ports = [port];
  }
  let wildcard = false;
  if (hostPart.startsWith('*.')) {
    wildcard = true;
    hostPart = hostPart.slice(2);
  }
  if (hostPart.includes('*')) throw invalid(text, 'has a `*` other than a leading `*.`', what);
  const host = normalizeHost(hostPart);
  if (!host) throw invalid(text, 'is not a valid host name or IP address', what);
  if (wildcard && host.kind === 'ip') throw invalid(text, 'puts a wildcard on an IP address', what);
  return { text, host: host.host, wildcard, ip: host.kind === 'ip', ports };
}

/** One allowlist entry, parsed; InvalidOptionsError saying what to write when it is not one. */
export function parseAllowRule(text: string): AllowRule {
  return parseRule(text, 'allow entry');
}

function hostCovers(wide: AllowRule, narrow: AllowRule): boolean {
  if (wide.ip || narrow.ip) return wide.ip && narrow.ip && wide.host === narrow.host;
  if (!wide.wildcard) return !narrow.wildcard && narrow.host === wide.host;
  return narrow.host === wide.host ? narrow.wildcard : narrow.host.endsWith(`.${wide.host}`);
}

export class AllowList {
  static readonly none: AllowList = new AllowList([]);

  readonly rules: readonly AllowRule[];

  private constructor(rules: readonly AllowRule[]) {
    this.rules = rules;
  }

  /** Parses every entry; `what` is the option path used in messages (e.g. `network.allow`). */
  static parse(entries: readonly string[], what = 'allow'): AllowList {
    return new AllowList(entries.map((entry, i) => parseRule(entry, `${what}[${i}]`)));
  }

  /** The entries, as given. */
  get entries(): readonly string[] {
    return this.rules.map((rule) => rule.text);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * The first rule allowing `host` (a lowercase name or a normalized IP, see host-name.ts) on `port`; null
   * when none does. A name never matches an IP rule and an IP never matches a name rule.
   */
  match(host: string, port: number): AllowRule | null {
    const normal = normalizeHost(host);
    if (!normal) return null;
    for (const rule of this.rules) {
      if (!rule.ports.includes(port)) continue;
      if (rule.ip !== (normal.kind === 'ip')) continue;
      if (rule.wildcard ? normal.host.endsWith(`.${rule.host}`) : normal.host === rule.host) return rule;
    }
    return null;
  }

  /** The entries of `narrower` that no single rule of this list covers (host and every port). */
  uncovered(narrower: AllowList): string[] {
    return narrower.rules
      .filter(
        (narrow) =>
          !this.rules.some(
            (wide) => hostCovers(wide, narrow) && narrow.ports.every((port) => wide.ports.includes(port)),
          ),
      )
      .map((rule) => rule.text);
  }

  union(other: AllowList): AllowList {
    return new AllowList([...this.rules, ...other.rules]);
  }
}
