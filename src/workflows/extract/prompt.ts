/**
 * `--prompt`: the LLM writes the extraction script. The first source's page is fetched in the sandbox
 * (page.ts); the model gets the description and an excerpt of the page, and a system prompt whose rules on
 * how the script runs are the extraction's (source on stdin and in SOURCE_URL, only the source's host
 * reachable through the configured proxy, records out as a JSON array: generateFromPrompt's
 * `environmentRules`). generateFromPrompt's generation + repair loop runs each attempt on the first source, the way
 * the extraction will, and sends failures back, output that is not records included. The final script
 * then runs over every source; it can be saved to the library.
 */
import { z } from 'zod';
import type { Engine } from '../../engine/engine.js';
import type { RunOpts } from '../../engine/options.js';
import type { RunResult } from '../../engine/result.js';
import {
  generateFromPrompt,
  GenerationAttemptSchema,
  type GenerationAttempt,
  type PromptGeneration,
} from '../../generate/llm/generate.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import { SaveOptsSchema } from '../../library/options.js';
import type { Library } from '../../library/types.js';
import {
  ExtractOptsSchema,
  prepareExtraction,
  runExtraction,
  type ExtractEngine,
  type ExtractOpts,
} from './extract.js';
import { allowFor } from './grant.js';
import { logEntry } from './log.js';
import { fetchPage, pageExcerpt, type PageFetch } from './page.js';
import { parseRecords } from './records.js';
import { ExtractionResultSchema, type ExtractionResult } from './result.js';
import { redactUrl, type Source } from './sources.js';

const isObjectWith = (key: string) => (value: unknown) =>
  typeof value === 'object' && value !== null && typeof Reflect.get(value, key) === 'function';

export const ExtractPromptOptsSchema = ExtractOptsSchema.omit({ script: true })
  .extend({
    prompt: z.string().trim().min(1).max(10_000).describe('What to extract from each source, in words'),
    language: z.string().min(1).default('python').describe('Language of the script (default python)'),
    provider: z
      .custom<LlmProvider>(isObjectWith('complete'), 'expected an LlmProvider')
      .describe('The model endpoint (see createLlmProvider, llmProviderFromEnv)'),
    maxAttempts: z.number().int().min(1).max(10).optional().describe('Most attempts (default 3)'),
    excerptChars: z
      .number()
      .int()
      .min(200)
      .max(100_000)
      .optional()
      .describe('Characters of the first page the model sees (default 8000)'),
    save: z
      .object({
        library: z.custom<Library>(isObjectWith('save'), 'expected a Library'),
        task: SaveOptsSchema.shape.task.describe('The saved name is extract_<task>_NNN.<ext>'),
        who: SaveOptsSchema.shape.who.describe('Who saves it, as the library records it'),
      })
      .optional()
      .describe('Save the final script (when it worked) to this library, before it runs over the sources'),
    onAttempt: z
      .custom<(attempt: GenerationAttempt) => void>((value) => typeof value === 'function')
      .optional()
      .describe('Called after each generation attempt'),
    onGenerated: z
      .custom<(generated: GeneratedScript) => void>((value) => typeof value === 'function')
      .optional()
      .describe(
        'Called once the script is final (worked, and saved when asked; or no attempt worked), before it ' +
          'runs over the sources',
      ),
  })
  .strict();
export type ExtractPromptOpts = z.input<typeof ExtractPromptOptsSchema>;

/** The first source's page as fetched, without its text. */
export const PageReportSchema = z.object({
  ok: z.boolean().describe('Fetched with an HTTP status below 400'),
  status: z.number().int().nullable().describe('Its HTTP status; null when it could not be fetched'),
  contentType: z.string(),
  truncated: z.boolean().describe('Longer than the 512 KiB the model may see'),
  error: z.string().nullable().describe('Why it could not be fetched; null when it was'),
  chars: z.number().int().min(0).describe('Characters of the page'),
  cpuMs: z.number().min(0).describe("CPU time of the fetch's run"),
});

/** The script the model wrote, as the HTTP API and the MCP tool report it. */
export const GeneratedScriptSchema = z
  .object({
    ok: z
      .boolean()
      .describe('An attempt worked on the first source; when false nothing ran over the sources'),
    language: z.string().describe('The language of the script'),
    source: z.string().describe("The final script (the last attempt's code)"),
    model: z.string().describe('The model that wrote it'),
    attempts: z
      .array(GenerationAttemptSchema.omit({ reply: true }))
      .describe("Every attempt on the first source (its code, check, run and error; not the model's reply)"),
    saved: z
      .string()
      .nullable()
      .describe('The library name the script was saved under; null when it was not saved'),
    page: PageReportSchema.describe("The first source's page the model saw (without its text)"),
  })
  .describe('The script the model wrote from the prompt and the first page, repaired on failure');
export type GeneratedScript = z.infer<typeof GeneratedScriptSchema>;

/** An extraction's result, with the generated script when the model wrote it (a prompt). */
export const ExtractionWithScriptSchema = ExtractionResultSchema.extend({
  generated: GeneratedScriptSchema.optional().describe(
    'Only with a prompt: the script the model wrote. When no attempt worked nothing ran: `ok` is false, ' +
      '`sources` is empty and the summary counts nothing',
  ),
}).describe(
  'Per source results in input order, and a summary; a failing source never stops the others. With a ' +
    'prompt, also the generated script',
);
export type ExtractionWithScript = z.infer<typeof ExtractionWithScriptSchema>;

export interface ExtractPromptResult {
  /** The first source's page as fetched (its text left out). */
  page: Omit<PageFetch, 'text'> & { chars: number };
  generation: PromptGeneration;
  /** The run over every source; null when no attempt worked. */
  extraction: ExtractionResult | null;
  /** The library name the script was saved under, when it was. */
  saved: string | null;
}

function runHow(language: string): string {
  if (language === 'python') return 'urllib.request (or requests, when it imports)';
  if (language === 'javascript' || language === 'typescript') return 'fetch()';
  if (language === 'bash') return 'curl';
  return 'its usual HTTP client';
}

/** The source as the model sees it on stdin: whole, or its URL alone when its other fields are long. */
function sourceExample(source: Source): string {
  const whole = JSON.stringify(source);
  return whole.length <= 2_000 ? whole : `${JSON.stringify({ url: source.url })} (and more fields)`;
}

/**
 * How an extraction script meets the world, as generateFromPrompt's `environmentRules`: they replace the
 * system prompt's default rules (no network, empty stdin, one JSON object out).
 */
export function extractionRules(language: string, source: Source): string[] {
  const host = allowFor(source, [])[0] ?? '';
  return [
    `The script runs once per source. The source is one JSON object on standard input, like ${sourceExample(source)}; its URL is also in the environment variable SOURCE_URL.`,
    `The network is open to the source's host (${host}) only, through an HTTP proxy already set in the environment; fetch the URL with ${runHow(language)} as usual. Nothing else is reachable.`,
    'Print the records on standard output as ONE JSON array of objects with the same keys, and nothing else; diagnostics go to standard error. Print [] only when the page has no records.',
    'Use the standard library to parse (html.parser, re, json); no packages need installing.',
  ];
}

/** The user message: what to extract and the first page (how the script runs is in extractionRules). */
export function extractionPrompt(opts: {
  prompt: string;
  language: string;
  page: PageFetch;
  excerptChars?: number;
}): string {
  const { prompt, language, page } = opts;
  const pageText = page.error
    ? `The first source's page could not be fetched (${page.error}); write the script from the description.`
    : `The first source's page (HTTP ${String(page.status)}, ${page.contentType || 'unknown type'}` +
      `${page.truncated ? ', cut' : ''}), as an excerpt:\n\`\`\`\n${pageExcerpt(page.text, opts.excerptChars)}\n\`\`\``;
  return [
    `Write a ${language} script that extracts records from a web page.`,
    '',
    `What to extract: ${prompt}`,
    '',
    pageText,
  ].join('\n');
}

/**
 * An engine whose run() runs a generation attempt the way the extraction will run it on `source`, and
 * fails an attempt whose output is not records (or no records), so the repair loop fixes that too.
 */
function firstSourceEngine(
  engine: Engine,
  source: Source,
  opts: { allow: string[]; limits?: RunOpts['limits']; onNetwork?: RunOpts['onNetwork'] },
): Engine {
  const run = async (runOpts: RunOpts): Promise<RunResult> => {
    const result = await engine.run({
      ...runOpts,
      stdin: JSON.stringify(source),
      env: { ...runOpts.env, SOURCE_URL: source.url },
      network: { allow: allowFor(source, opts.allow) },
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.onNetwork ? { onNetwork: opts.onNetwork } : {}),
    });
    if (!result.ok) return result;
    const records = parseRecords(result.stdout);
    const problem = !records.ok
      ? records.message
      : records.records.length === 0
        ? 'the script printed no records from the first source, whose page holds what was asked for; look at the excerpt again'
        : null;
    if (problem === null) return result;
    return {
      ...result,
      ok: false,
      error: { kind: 'runtime', message: `the output is not the records: ${problem}` },
    };
  };
  return new Proxy(engine, {
    get: (target, property): unknown => (property === 'run' ? run : Reflect.get(target, property)),
  });
}

/** The extraction's own options out of the prompt's (all but the script). */
function extractionOpts(parsed: z.output<typeof ExtractPromptOptsSchema>): Omit<ExtractOpts, 'script'> {
  const { sources, concurrency, allow, limits, networkLimits, signal, onProgress, onSource, log, onNetwork } =
    parsed;
  return {
    sources,
    concurrency,
    allow,
    ...(limits !== undefined ? { limits } : {}),
    ...(networkLimits !== undefined ? { networkLimits } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(onSource ? { onSource } : {}),
    ...(log ? { log } : {}),
    ...(onNetwork ? { onNetwork } : {}),
  };
}

/** The generated script as reported (GeneratedScriptSchema): its attempts without the model's replies. */
export function generatedScript(outcome: Omit<ExtractPromptResult, 'extraction'>): GeneratedScript {
  const { generation, saved, page } = outcome;
  return {
    ok: generation.ok,
    language: generation.language,
    source: generation.source,
    model: generation.model,
    attempts: generation.attempts.map(({ reply: _reply, ...attempt }) => attempt),
    saved,
    page,
  };
}

/**
 * extractWithPrompt's outcome as one answer (ExtractionWithScriptSchema): the extraction (nothing ran when
 * no attempt worked) and the script.
 */
export function extractionWithScript(outcome: ExtractPromptResult): ExtractionWithScript {
  const generated = generatedScript(outcome);
  const extraction: ExtractionResult = outcome.extraction ?? {
    ok: false,
    language: generated.language,
    sources: [],
    summary: { sources: 0, succeeded: 0, failed: 0, records: 0, durationMs: 0, byKind: {} },
  };
  return { ...extraction, generated };
}

/**
 * The CPU time an extraction used in sandboxes (what a server charges): its sources' runs and, with a
 * prompt, the first page's fetch and the generation attempts' runs.
 */
export function extractionCpuMs(result: ExtractionWithScript | ExtractionResult): number {
  const sources = result.sources.reduce((sum, source) => sum + source.metadata.cpuMs, 0);
  const generated = 'generated' in result ? result.generated : undefined;
  if (!generated) return sources;
  const attempts = generated.attempts.reduce((sum, attempt) => sum + (attempt.run?.usage.cpuMs ?? 0), 0);
  return sources + attempts + generated.page.cpuMs;
}

/** Generates the script from the prompt and the first page, repairs it, runs it over every source. */
export async function extractWithPrompt(
  engine: Engine & ExtractEngine,
  opts: ExtractPromptOpts,
): Promise<ExtractPromptResult> {
  const parsed = ExtractPromptOptsSchema.parse(opts);
  const { prompt, language, provider, sources, signal, log } = parsed;
  // Refused as a whole (options, ceilings, network policy) before anything is fetched or asked.
  prepareExtraction(engine, { ...extractionOpts(parsed), script: { language, source: '' } });
  const first = sources[0] as Source;
  const page = await fetchPage(engine, first, parsed.allow, signal, parsed.onNetwork);
  log?.(
    logEntry(page.error ? 'warn' : 'info', 'prompt.page', {
      target: redactUrl(first.url),
      status: page.status,
      chars: page.text.length,
      ...(page.error ? { error: page.error } : {}),
    }),
  );
  const generation = await generateFromPrompt({
    prompt: extractionPrompt({
      prompt,
      language,
      page,
      ...(parsed.excerptChars ? { excerptChars: parsed.excerptChars } : {}),
    }),
    environmentRules: extractionRules(language, first),
    language,
    provider,
    engine: firstSourceEngine(engine, first, {
      allow: parsed.allow,
      ...(parsed.limits ? { limits: parsed.limits } : {}),
      ...(parsed.onNetwork ? { onNetwork: parsed.onNetwork } : {}),
    }),
    run: true,
    ...(parsed.maxAttempts !== undefined ? { maxAttempts: parsed.maxAttempts } : {}),
    ...(signal ? { signal } : {}),
    onAttempt: (attempt) => {
      log?.(
        logEntry(attempt.ok ? 'info' : 'warn', 'prompt.attempt', {
          attempt: attempt.attempt,
          ok: attempt.ok,
          llmMs: attempt.llmMs,
          ...(attempt.error ? { kind: attempt.error.kind } : {}),
        }),
      );
      parsed.onAttempt?.(attempt);
    },
  });
  const { text, ...pageInfo } = page;
  const pageReport = { ...pageInfo, chars: text.length };
  if (!generation.ok) {
    parsed.onGenerated?.(generatedScript({ page: pageReport, generation, saved: null }));
    return { page: pageReport, generation, extraction: null, saved: null };
  }
  // Saved as soon as it worked on the first source: the run over every source does not change the script.
  const { save } = parsed;
  let saved: string | null = null;
  if (
    save &&
    (generation.language === 'python' ||
      generation.language === 'javascript' ||
      generation.language === 'typescript' ||
      generation.language === 'bash')
  ) {
    saved = save.library.save({
      category: 'extract',
      task: save.task,
      language: generation.language,
      source: generation.source,
      description: prompt.slice(0, 2000),
      tags: ['generated', 'llm', 'extract'],
      ...(save.who !== undefined ? { who: save.who } : {}),
    }).name;
  }
  parsed.onGenerated?.(generatedScript({ page: pageReport, generation, saved }));
  const extraction = await runExtraction(engine, {
    ...extractionOpts(parsed),
    script: { language: generation.language, source: generation.source },
  });
  return { page: pageReport, generation, extraction, saved };
}
