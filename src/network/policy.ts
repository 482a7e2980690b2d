/**
 * Who may grant what: the operator's widest policy (NetworkPolicySchema, default: nothing), a token's
 * narrower allowlist, and a run's or session's request, which may only narrow them (narrowGrant).
 */
import { z } from 'zod';
import { NetworkNotPermittedError } from '../errors.js';
import { parseOptions } from '../parse-options.js';
import { AllowList } from './allowlist.js';
import { DEFAULT_NETWORK_LIMITS, NetworkLimitsSchema, type NetworkLimits } from './limits.js';
import type { EgressGrant } from './proxy-context.js';

export const NetworkPolicySchema = z
  .object({
    allow: z
      .array(z.string())
      .describe('Destinations runs may be granted: host names, *.wildcards, host:port, IP addresses'),
    allowPrivate: z
      .boolean()
      .describe(
        'Allow names that resolve to private, loopback, link-local or reserved addresses (never metadata)',
      ),
    resolve: z
      .array(z.string())
      .describe('Resolver overrides NAME:ADDRESS, used before DNS (like curl --resolve)'),
    trustCaFile: z
      .string()
      .describe(
        'Host path of a PEM CA certificate the sandboxes trust besides the system CAs (tests, internal CAs)',
      ),
    limits: NetworkLimitsSchema.describe('The highest network limits a run may have, and its defaults'),
  })
  .partial()
  .strict();

export type NetworkPolicy = z.infer<typeof NetworkPolicySchema>;

export const NetworkGrantRequestSchema = z
  .object({
    allow: z
      .array(z.string())
      .min(1)
      .describe('Destinations this run needs: host names, *.wildcards, host:port, IP addresses'),
    limits: NetworkLimitsSchema.optional().describe("Network limits for this run, at most the policy's"),
  })
  .strict();

export type NetworkGrantRequest = z.infer<typeof NetworkGrantRequestSchema>;

/**
 * The grant a request gets under `policy` (and `tokenAllow`, a token's own limit): the requested
 * destinations with the policy's private-network setting and limits (the request's own, when no higher).
 * NetworkNotPermittedError (data.uncovered, data.allowed) when a destination or a limit is not covered.
 */
export function narrowGrant(
  policy: NetworkPolicy,
  request: NetworkGrantRequest,
  opts: { tokenAllow?: AllowList } = {},
): EgressGrant {
  const checkedPolicy = parseOptions(NetworkPolicySchema, policy, 'network policy');
  const checked = parseOptions(NetworkGrantRequestSchema, request, 'network request');
  const wide = AllowList.parse(checkedPolicy.allow ?? [], 'network policy allow');
  const asked = AllowList.parse(checked.allow, 'network.allow');
  const uncovered = new Set(wide.uncovered(asked));
  if (opts.tokenAllow) for (const entry of opts.tokenAllow.uncovered(asked)) uncovered.add(entry);
  const allowed = opts.tokenAllow
    ? opts.tokenAllow.entries.filter((entry) => wide.uncovered(AllowList.parse([entry])).length === 0)
    : [...wide.entries];
  if (uncovered.size > 0) {
    const list = asked.entries.filter((entry) => uncovered.has(entry)); // in the request's order
    throw new NetworkNotPermittedError(
      `network access to ${list.join(', ')} is not permitted; ` +
        (allowed.length > 0
          ? `ask only for destinations covered by: ${allowed.join(', ')}`
          : 'the server allows no network access (its operator can allow destinations)'),
      { data: { uncovered: list, allowed } },
    );
  }
  const ceiling: NetworkLimits = { ...DEFAULT_NETWORK_LIMITS, ...checkedPolicy.limits };
  const above = Object.entries(checked.limits ?? {}).filter(
    ([key, value]) => value !== undefined && value > ceiling[key as keyof NetworkLimits],
  );
  if (above.length > 0) {
    const what = above.map(
      ([key, value]) => `${key} ${value} (at most ${ceiling[key as keyof NetworkLimits]})`,
    );
    throw new NetworkNotPermittedError(
      `network limits above the server's: ${what.join(', ')}; ask for less`,
      {
        data: { uncovered: [], allowed, limits: ceiling },
      },
    );
  }
  return {
    allow: asked,
    allowPrivate: checkedPolicy.allowPrivate ?? false,
    limits: { ...ceiling, ...checked.limits },
  };
}
