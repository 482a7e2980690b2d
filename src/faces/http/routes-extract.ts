/**
 * POST /v1/extract: one extraction script over many web sources (workflows/extract), given as `script`, or
 * written by the server's model from `prompt` (extractWithPrompt: the first page, generation and repair,
 * then every source). The answer is the ExtractionResult, with a prompt also the generated script; a
 * client that sends `Accept: text/event-stream` gets Server-Sent Events instead: with a prompt `generated`
 * (data: the script, once final), then `source` (data: a SourceResult, as each finishes), `progress` (data:
 * the counts so far), then `result` (data: the answer) or `error`. The request is refused as a whole (403
 * NETWORK_NOT_PERMITTED, listing the hosts) before anything runs when the server's policy or the caller's
 * token does not cover every source's host and extra allow entry. Every egress decision of its runs is
 * audited (networkAudit), never payloads.
 */
import { z } from 'zod';
import { noProviderError } from '../../generate/llm/generate.js';
import { NetworkLimitsSchema } from '../../network/limits.js';
import {
  allowEntries,
  extractionCpuMs,
  extractionWithScript,
  ExtractionWithScriptSchema,
  ExtractOptsSchema,
  ExtractPromptOptsSchema,
  extractWithPrompt,
  prepareExtraction,
  runExtraction,
  type ExtractionWithScript,
  type ExtractOpts,
  type GeneratedScript,
} from '../../workflows/extract/index.js';
import { guarded, networkAudit, type ServerContext } from './context.js';
import { describeError } from './errors.js';
import { route, without, type Route } from './route.js';
import { SseWriter } from './sse.js';

/** What neither body takes over HTTP: signals and callbacks (network limits are redescribed). */
const NOT_OVER_HTTP = {
  signal: true,
  onProgress: true,
  onSource: true,
  onNetwork: true,
  log: true,
  networkLimits: true,
} as const;
const NetworkLimitsField = {
  networkLimits: NetworkLimitsSchema.optional().describe("Network limits of each source's run"),
};

/** POST /v1/extract with a script: the library's extraction options but signals and callbacks. */
export const ScriptExtractBodySchema = ExtractOptsSchema.omit(NOT_OVER_HTTP).extend(NetworkLimitsField);

/**
 * POST /v1/extract with a prompt: extractWithPrompt's options but the provider (the server's), signals and
 * callbacks; `save` names a task only (the library is the server's, the caller saves it).
 */
export const PromptExtractBodySchema = ExtractPromptOptsSchema.omit({
  ...NOT_OVER_HTTP,
  provider: true,
  save: true,
  onAttempt: true,
  onGenerated: true,
})
  .extend(NetworkLimitsField)
  .extend({
    save: z
      .object({ task: ExtractPromptOptsSchema.shape.save.unwrap().shape.task })
      .strict()
      .optional()
      .describe("Keep the final script (when it worked) in the server's library as extract_<task>_NNN.<ext>"),
  });

/** POST /v1/extract: `script` (the extraction script) or `prompt` (the server's model writes it). */
export const ExtractBodySchema = z
  .union([ScriptExtractBodySchema, PromptExtractBodySchema])
  .describe('Either `script` (the extraction script) or `prompt` (what to extract; needs a model), not both');
export type ExtractBody = z.output<typeof ExtractBodySchema>;
type PromptExtractBody = z.output<typeof PromptExtractBodySchema>;

const has = (body: object, key: string): boolean => Object.hasOwn(body, key);

/**
 * The branch of an extract body, chosen by whether it has `script` or `prompt` (clearer errors than a
 * union's); both or neither is refused, saying so.
 */
export function extractBodySchema(body: unknown): z.ZodType<ExtractBody> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ScriptExtractBodySchema;
  const script = has(body, 'script');
  const prompt = has(body, 'prompt');
  if (script && !prompt) return ScriptExtractBodySchema;
  if (prompt && !script) return PromptExtractBodySchema;
  const message = script
    ? 'give either `script` or `prompt`, not both: `script` is the extraction script, `prompt` asks ' +
      'the model to write it'
    : 'give `script` ({ language, source }: the extraction script) or `prompt` (what to extract, for ' +
      'the model to write the script)';
  return z.never({ error: () => message });
}

/** The audit details of an extraction (with a prompt, how the generation went). */
function extractDetails(result: ExtractionWithScript): Record<string, unknown> {
  const { summary, generated } = result;
  return {
    ok: result.ok,
    sources: summary.sources,
    succeeded: summary.succeeded,
    failed: summary.failed,
    records: summary.records,
    wallMs: summary.durationMs,
    ...(generated
      ? {
          generated: {
            ok: generated.ok,
            attempts: generated.attempts.length,
            model: generated.model,
            saved: generated.saved,
          },
        }
      : {}),
  };
}

/** The progress events of a stream: each source's result, and the counts so far. */
function streamed(sse: SseWriter | undefined): Pick<ExtractOpts, 'onSource' | 'onProgress'> {
  if (!sse) return {};
  return {
    onSource: (source) => sse.send('source', source),
    onProgress: (progress) => sse.send('progress', progress),
  };
}

/** A prompt body's extraction options, with an empty script: what prepareExtraction checks up front. */
function promptExtractionOpts(body: PromptExtractBody, language: string): ExtractOpts {
  const opts = without(body, 'prompt', 'language', 'maxAttempts', 'excerptChars', 'save');
  return { ...opts, script: { language, source: '' } };
}

export function extractRoutes(ctx: ServerContext): Route[] {
  const { engine, library } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/extract',
      tag: 'runs',
      summary:
        "Run one extraction script over many web sources, each run granted its source's host only (plus " +
        '`allow`); results per source in input order with a summary. Give the script (`script`), or ' +
        '`prompt` for the configured LLM to write it from the first page (repaired on failure; `save` keeps ' +
        'it in the library); the answer then also has it as `generated`. With `Accept: text/event-stream` ' +
        'the answer is Server-Sent Events: `generated` (with a prompt, once the script is final), `source` ' +
        'and `progress` as sources finish, then `result` or `error`. Refused as a whole (403 ' +
        'NETWORK_NOT_PERMITTED) when a host is outside the policy or the token.',
      body: ExtractBodySchema,
      bodySchema: extractBodySchema,
      response: { schema: ExtractionWithScriptSchema },
      handle: async ({ body, reply, request, principal }) => {
        const log = (entry: Record<string, unknown>): void => request.log.info(entry, 'extract');
        const hooks = { log, onNetwork: networkAudit(ctx, principal) };
        let language: string;
        let run: (signal: AbortSignal, sse?: SseWriter) => Promise<ExtractionWithScript>;
        if ('prompt' in body) {
          language = engine.runtimes.resolve(body.language).name;
          // Options, ceilings and the server's network policy: refused before anything runs or is asked.
          prepareExtraction(engine, promptExtractionOpts(body, language));
          const provider = ctx.llm;
          if (!provider) throw noProviderError(body.prompt, undefined);
          const { save, ...opts } = body;
          run = async (signal, sse) => {
            const outcome = await extractWithPrompt(engine, {
              ...opts,
              ...hooks,
              ...streamed(sse),
              ...(sse
                ? { onGenerated: (generated: GeneratedScript) => sse.send('generated', generated) }
                : {}),
              language,
              provider,
              signal,
              ...(save ? { save: { library, task: save.task, who: principal.name } } : {}),
            });
            return extractionWithScript(outcome);
          };
        } else {
          language = engine.runtimes.resolve(body.script.language).name;
          // Options, ceilings and the server's network policy: refused before anything runs.
          prepareExtraction(engine, body);
          run = (signal, sse) => runExtraction(engine, { ...body, ...hooks, ...streamed(sse), signal });
        }
        const common = {
          principal,
          reply,
          action: 'extract',
          target: language,
          network: { allow: allowEntries(body.sources, body.allow) },
          cpuMs: extractionCpuMs,
          details: extractDetails,
        };
        if (!/\btext\/event-stream\b/.test(request.headers.accept ?? '')) {
          return guarded(ctx, { ...common, work: (signal) => run(signal) });
        }
        try {
          await guarded(ctx, {
            ...common,
            work: async (signal) => {
              const sse = new SseWriter(reply);
              try {
                const result = await run(signal, sse);
                sse.send('result', result);
                return result;
              } catch (err) {
                const logError = (cause: unknown): void =>
                  request.log.error({ err: cause }, 'internal error');
                sse.send('error', describeError(err, logError).body);
                throw err;
              } finally {
                sse.end();
              }
            },
          });
        } catch (err) {
          if (!reply.sent) throw err; // not streaming yet: an ordinary JSON error answer
        }
        return reply;
      },
    }),
  ];
}
