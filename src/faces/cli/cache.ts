/**
 * `scriptbox cache stats|clear`: the generation cache (identical generation requests answered from it).
 * stats prints hits, misses and size by language; clear empties it and resets the counters.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { openLibrary, type CacheStats } from '../../library/index.js';
import { plural } from '../../text.js';
import { writeText } from './io.js';
import { formatBytes } from './summary.js';

const JsonCli = z.object({ json: z.boolean().default(false) });

function withLibrary<T>(fn: (lib: ReturnType<typeof openLibrary>) => T): T {
  const lib = openLibrary();
  try {
    return fn(lib);
  } finally {
    lib.close();
  }
}

const size = (bytes: number): string => (bytes < 1024 ? plural(bytes, 'byte') : formatBytes(bytes));

/** `12 entries · 48.1 KiB · 30 hits · 5 misses (86% hit rate)` and one line per language. */
export function formatCacheStats(stats: CacheStats): string {
  const lookups = stats.hits + stats.misses;
  const rate = lookups === 0 ? '' : ` (${Math.round((100 * stats.hits) / lookups)}% hit rate)`;
  const head =
    `${plural(stats.entries, 'entry', 'entries')} · ${size(stats.bytes)} · ` +
    `${plural(stats.hits, 'hit')} · ${plural(stats.misses, 'miss', 'misses')}${rate}\n`;
  const languages = Object.entries(stats.byLanguage);
  const width = Math.max(0, ...languages.map(([language]) => language.length));
  return (
    head +
    languages
      .map(
        ([language, { entries, bytes }]) =>
          `  ${language.padEnd(width)}  ${plural(entries, 'entry', 'entries')} · ${size(bytes)}\n`,
      )
      .join('')
  );
}

export function cacheCommand(setExitCode: (code: number) => void): Command {
  const command = new Command('cache').description(
    'the generation cache: scripts kept by the hash of their request, reused instead of regenerated',
  );
  command.addCommand(
    new Command('stats')
      .description('entries, hits, misses and size by language')
      .option('--json', 'print { entries, hits, misses, bytes, byLanguage } as one JSON object')
      .action(async (raw: unknown) => {
        const opts = JsonCli.parse(raw);
        const stats = withLibrary((lib) => lib.cacheStats());
        await writeText(process.stdout, opts.json ? `${JSON.stringify(stats)}\n` : formatCacheStats(stats));
        setExitCode(0);
      }),
  );
  command.addCommand(
    new Command('clear')
      .description(
        'remove every cached script and memoised analysis and reset the counters (library scripts are not touched)',
      )
      .option('--json', 'print { entries, bytes, memoEntries } removed as one JSON object')
      .action(async (raw: unknown) => {
        const opts = JsonCli.parse(raw);
        const removed = withLibrary((lib) => lib.cacheClear());
        await writeText(
          opts.json ? process.stdout : process.stderr,
          opts.json
            ? `${JSON.stringify(removed)}\n`
            : `scriptbox: cleared the cache: ${plural(removed.entries, 'entry', 'entries')}, ${size(removed.bytes)}` +
                (removed.memoEntries > 0
                  ? ` (and ${plural(removed.memoEntries, 'memoised analysis', 'memoised analyses')})`
                  : '') +
                '\n',
        );
        setExitCode(0);
      }),
  );
  return command;
}
