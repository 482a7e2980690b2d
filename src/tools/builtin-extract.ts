/** The built-in extraction tool: extract_sources (workflows/extract). */
import { NetworkLimitsSchema } from '../network/limits.js';
import { plural } from '../text.js';
import {
  allowEntries,
  ExtractionResultSchema,
  ExtractOptsSchema,
  runExtraction,
  type ExtractionResult,
} from '../workflows/extract/index.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { RUN_TOOL_TIMEOUT_MS } from './builtin-run.js';
import { defineTool, type Tool } from './types.js';

/** `20 sources: 17 ok, 3 failed, 42 records`, then one line per failed source. */
export function extractText(result: ExtractionResult): string {
  const { summary } = result;
  const lines = [
    `${plural(summary.sources, 'source')}: ${summary.succeeded} ok, ${summary.failed} failed, ` +
      `${plural(summary.records, 'record')} in ${summary.durationMs} ms`,
  ];
  for (const source of result.sources) {
    if (source.ok) continue;
    lines.push(
      `[${source.index}] ${source.url}: ${source.error?.kind ?? 'runtime'}: ${source.error?.message ?? ''}`,
    );
    if (source.error?.hint) lines.push(`  what to do: ${source.error.hint}`);
  }
  lines.push(
    '',
    JSON.stringify(result.sources.map((source) => ({ url: source.url, records: source.records }))),
  );
  return lines.join('\n');
}

export function extractTools({ engine }: BuiltinToolDeps): Tool[] {
  const extractSources = defineTool({
    name: 'extract_sources',
    title: 'Extract records from many web sources',
    description:
      'Runs one extraction script (python, javascript, typescript or bash) once per source URL, each run in ' +
      "a fresh sandbox granted network to that source's host only (plus `allow`). The script gets the " +
      'source as JSON on stdin and its URL as SOURCE_URL, and prints records as a JSON array (or one ' +
      'object per line). Returns records per source in input order, errors (timeout, syntax, network, ' +
      "runtime, output) with what to do, and a summary. Hosts outside the server's policy refuse the call.",
    input: ExtractOptsSchema.pick({
      script: true,
      sources: true,
      concurrency: true,
      allow: true,
      limits: true,
    })
      .extend({
        networkLimits: NetworkLimitsSchema.optional().describe("Network limits of each source's run"),
      })
      .strict(),
    output: ExtractionResultSchema,
    annotations: { readOnly: true, idempotent: false, openWorld: true },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    // The caller's token must allow every host the call asks for (the engine checks the server's policy).
    network: (input) => allowEntries(input.sources, input.allow),
    metered: {
      cpuMs: (result) => result.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0),
    },
    text: extractText,
    handler: (input, { signal }) => runExtraction(engine, { ...input, signal }),
  });
  return [extractSources];
}
