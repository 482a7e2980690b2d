/**
 * The network options shared by `run`, `extract` and `serve`: `--allow-net ENTRY` (repeatable),
 * `--resolve NAME:ADDRESS` (repeatable, like curl's), `--allow-private-net`. Each value is checked as it
 * is parsed (the network layer's own parsers), so a bad entry is a usage error naming the option. On the
 * command line the user is the operator: the policy is what the options allow.
 */
import { InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { ScriptboxError } from '../../errors.js';
import { parseAllowRule } from '../../network/allowlist.js';
import { parseResolveEntry } from '../../network/resolver.js';
import type { NetworkPolicy } from '../../network/policy.js';

/** A repeatable option's parser: checks one value with `check`, appends it. */
function repeatable(check: (value: string) => unknown): (value: string, previous?: string[]) => string[] {
  return (value, previous) => {
    try {
      check(value);
    } catch (err) {
      const message = err instanceof ScriptboxError || err instanceof Error ? err.message : String(err);
      throw new InvalidArgumentError(message.replace(/^invalid /, ''));
    }
    return [...(previous ?? []), value];
  };
}

/** Parses one repeatable --allow-net value: a usage error naming the option when it is not an entry. */
export const allowNetParser = repeatable(parseAllowRule);

/** The commander Options, in the order --help lists them. */
export function netOptions(): Option[] {
  return [
    new Option(
      '--allow-net <host>',
      'let the script reach this host through the egress proxy (repeatable): api.example.com, ' +
        '*.example.org (subdomains), example.com:8443, an IP; default: no network',
    ).argParser(allowNetParser),
    new Option(
      '--resolve <name:address>',
      'resolve NAME to ADDRESS in the egress proxy, like curl --resolve (repeatable; also SCRIPTBOX_RESOLVE)',
    ).argParser(repeatable(parseResolveEntry)),
    new Option(
      '--allow-private-net',
      'let allowed names resolve to private, loopback and link-local addresses (off: SSRF protection)',
    ),
  ];
}

/** The option values commander collected for these options. */
export const NetCliOptsSchema = z.object({
  allowNet: z.array(z.string()).default([]),
  resolve: z.array(z.string()).default([]),
  allowPrivateNet: z.boolean().default(false),
});
export type NetCliOpts = z.infer<typeof NetCliOptsSchema>;

/**
 * The engine's network policy for one command: it allows `allow` (default: the --allow-net entries; a
 * command that grants more, like extract's source hosts, passes them), with the --resolve overrides and
 * --allow-private-net. Undefined when nothing is allowed and nothing else set (the engine's default: none).
 */
export function cliNetworkPolicy(
  opts: NetCliOpts,
  allow: readonly string[] = opts.allowNet,
): NetworkPolicy | undefined {
  if (allow.length === 0 && opts.resolve.length === 0 && !opts.allowPrivateNet) return undefined;
  return {
    allow: [...allow],
    ...(opts.resolve.length > 0 ? { resolve: [...opts.resolve] } : {}),
    ...(opts.allowPrivateNet ? { allowPrivate: true } : {}),
  };
}
