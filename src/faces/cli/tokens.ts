/**
 * `scriptbox tokens create|list|revoke`: API tokens for `scriptbox serve`. create prints the secret on
 * stdout once (and a warning to store it on stderr); list and revoke never print a secret.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { openLibrary, type Library } from '../../library/index.js';
import { DEFAULT_TOKEN_LIMITS } from '../../access/token-limits.js';
import { createToken, listTokens, revokeToken, type TokenInfo } from '../../access/tokens.js';
import { note, out, printJson, wholeNumber } from './io.js';
import { allowNetParser } from './net-options.js';

type SetExitCode = (code: number) => void;

const CliOpts = z
  .object({
    name: z.string(),
    runsPerMinute: z.number(),
    cpuSecondsPerDay: z.number(),
    allowNet: z.array(z.string()),
    json: z.boolean(),
  })
  .partial();

function withLibrary<T>(fn: (lib: Library) => T): T {
  const lib = openLibrary();
  try {
    return fn(lib);
  } finally {
    lib.close();
  }
}

const limit = (value: number | null, unit: string): string => `${value ?? 'default'} ${unit}`;

/** One line per token: id, name, state, created, last used, limits. */
export function tokenTable(tokens: TokenInfo[]): string {
  const width = Math.max(0, ...tokens.map((token) => token.name.length));
  return tokens
    .map((token) =>
      [
        token.id,
        token.name.padEnd(width),
        token.revokedAt === null ? 'live   ' : 'revoked',
        `created ${token.createdAt}`,
        `last used ${token.lastUsedAt ?? 'never'}`,
        `${limit(token.runsPerMinute, 'runs/min')} · ${limit(token.cpuSecondsPerDay, 'cpu s/day')} · ` +
          `network ${token.netAllow?.join(' ') ?? 'as the server allows'}\n`,
      ].join('  '),
    )
    .join('');
}

function createCommand(setExitCode: SetExitCode): Command {
  return new Command('create')
    .description('create an API token; it is printed once, on stdout, and only its hash is kept')
    .requiredOption('--name <name>', 'who uses it (the audit log names it), like ci or alice@laptop')
    .option(
      '--runs-per-minute <n>',
      `runs and generations a minute (default: the server default, ${DEFAULT_TOKEN_LIMITS.runsPerMinute})`,
      wholeNumber,
    )
    .option(
      '--cpu-seconds-per-day <n>',
      `CPU seconds a UTC day (default: the server default, ${DEFAULT_TOKEN_LIMITS.cpuSecondsPerDay})`,
      wholeNumber,
    )
    .option(
      '--allow-net <entry>',
      "a destination this token's runs may be granted (host, *.domain, host:port; repeatable), within " +
        "the server's own --allow-net (default: as much as the server allows)",
      allowNetParser,
    )
    .option('--json', 'print { id, name, token } as one JSON object')
    .action(async (raw: unknown) => {
      const opts = CliOpts.parse(raw);
      const created = withLibrary((lib) =>
        createToken(lib, {
          name: opts.name ?? '',
          runsPerMinute: opts.runsPerMinute,
          cpuSecondsPerDay: opts.cpuSecondsPerDay,
          netAllow: opts.allowNet,
        }),
      );
      await (opts.json ? printJson(created) : out(`${created.token}\n`));
      await note(
        `created token ${created.id} (${created.name}). This is the only time it is shown: store it ` +
          'now (a secret store or password manager); scriptbox keeps only its hash. ' +
          'Clients send it as `Authorization: Bearer <token>`.',
      );
      setExitCode(0);
    });
}

function listCommand(setExitCode: SetExitCode): Command {
  return new Command('list')
    .description('the tokens, live and revoked (never their secrets)')
    .option('--json', 'print an array of { id, name, createdAt, lastUsedAt, revokedAt, runsPerMinute, ... }')
    .action(async (raw: unknown) => {
      const opts = CliOpts.parse(raw);
      const tokens = withLibrary(listTokens);
      if (opts.json) await printJson(tokens);
      else if (tokens.length > 0) await out(tokenTable(tokens));
      else await note('no tokens: `scriptbox serve` lets in anyone who can reach it; see `tokens create`');
      setExitCode(0);
    });
}

function revokeCommand(setExitCode: SetExitCode): Command {
  return new Command('revoke')
    .description('revoke a token at once (a running server refuses it on the next request)')
    .argument('<id>', 'the token id, like tok_0123456789ab (see `scriptbox tokens list`)')
    .option('--json', 'print the revoked token as one JSON object')
    .action(async (id: string, raw: unknown) => {
      const opts = CliOpts.parse(raw);
      const { before, after } = withLibrary((lib) => {
        const before = listTokens(lib).find((token) => token.id === id)?.revokedAt ?? null;
        return { before, after: revokeToken(lib, id) };
      });
      if (opts.json) await printJson(after);
      await note(
        before === null
          ? `revoked token ${after.id} (${after.name})`
          : `token ${after.id} (${after.name}) was already revoked at ${before}`,
      );
      setExitCode(0);
    });
}

export function tokensCommand(setExitCode: SetExitCode): Command {
  return new Command('tokens')
    .description('API tokens for `scriptbox serve`: once one exists, every route but health needs one')
    .addCommand(createCommand(setExitCode))
    .addCommand(listCommand(setExitCode))
    .addCommand(revokeCommand(setExitCode));
}
