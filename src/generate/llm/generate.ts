/**
 * Generating a script from a prompt: ask the model, take the code out of its reply, check it (the `check`
 * hook), run it when asked; on a failure send the error back and ask for a fix, up to `maxAttempts`.
 * Every attempt is returned. Host failures (sandbox unavailable, cancelled) end the loop: the model
 * cannot fix them.
 */
import { z } from 'zod';
import { resolveLlmSettings } from '../../config.js';
import { createEngine, type Engine } from '../../engine/engine.js';
import { InputFileSchema, PartialLimitsSchema } from '../../engine/options.js';
import { parseOptions } from '../../parse-options.js';
import { RunErrorSchema, RunResultSchema } from '../../engine/result.js';
import { InvalidOptionsError } from '../../errors.js';
import { builtinRuntimes } from '../../sandbox/runtimes/builtin.js';
import { promptCacheKey } from '../cache.js';
import { GenerationCacheSchema } from '../from-template.js';
import type { TemplateRegistry } from '../registry.js';
import { suggestTemplates } from '../suggest.js';
import { asReply, extractCode, initialMessages, repairMessage } from './prompt.js';
import { missingLlmSettings, type LlmProvider } from './provider.js';

export const DEFAULT_MAX_ATTEMPTS = 3;

export const CheckOutcomeSchema = z.object({ ok: z.boolean(), message: z.string() });
export type CheckOutcome = z.infer<typeof CheckOutcomeSchema>;
export type CheckHook = (language: string, source: string) => Promise<CheckOutcome>;

export const GenerationAttemptSchema = z.object({
  attempt: z.number().int().min(1).describe('1-based'),
  reply: z.string().describe("The model's whole reply (for a cache hit, the cached source in a fence)"),
  code: z.string().describe('The code taken out of the reply'),
  fromCache: z.boolean(),
  check: CheckOutcomeSchema.nullable().describe("The check hook's verdict, null without a hook"),
  run: RunResultSchema.nullable().describe('The run, null when not run (no run, or the check failed)'),
  ok: z.boolean(),
  error: RunErrorSchema.nullable().describe(
    "What failed: the run's error, rejected for a failed check, syntax for a reply without code",
  ),
  llmMs: z.number().describe('Time waiting for the model (0 for a cache hit)'),
});
export type GenerationAttempt = z.infer<typeof GenerationAttemptSchema>;

export const PromptGenerationSchema = z.object({
  ok: z.boolean().describe('The last attempt passed its check (and its run, when run)'),
  language: z.string(),
  source: z.string().describe("The last attempt's code"),
  attempts: z.array(GenerationAttemptSchema),
  model: z.string(),
  cacheKey: z.string(),
});
export type PromptGeneration = z.infer<typeof PromptGenerationSchema>;

const fn = <T>(what: string) => z.custom<T>((value) => typeof value === 'function', `expected ${what}`);
const isObjectWith = (key: string) => (value: unknown) =>
  typeof value === 'object' && value !== null && typeof Reflect.get(value, key) === 'function';

export const GenerateFromPromptOptsSchema = z
  .object({
    prompt: z.string().trim().min(1).describe('What the script should do'),
    language: z.string().min(1).describe('Language of the script: python, javascript, typescript, bash'),
    provider: z
      .custom<LlmProvider>(isObjectWith('complete'), 'expected an LlmProvider')
      .nullable()
      .optional()
      .describe('The model endpoint (see createLlmProvider, llmProviderFromEnv); without it this throws'),
    engine: z
      .custom<Engine>(isObjectWith('run'), 'expected an Engine')
      .optional()
      .describe('Engine for the runs (default: one created for this call and closed after it)'),
    run: z.boolean().optional().describe('Run each attempt in the sandbox and repair on failure'),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .optional()
      .describe(`Most attempts (default ${DEFAULT_MAX_ATTEMPTS})`),
    files: z.array(InputFileSchema).optional().describe('Input files for the runs, named in the prompt'),
    environmentRules: z
      .array(z.string().trim().min(1).max(10_000))
      .min(1)
      .max(20)
      .optional()
      .describe(
        "Rules that replace the system prompt's default ones about how the script meets the world (no " +
          'network; standard input is empty; print one JSON object), one rule each, for scripts that run ' +
          'differently (an extraction script: network to its source, the source on stdin, records out). ' +
          'The other rules (libraries, input files, out/, limits) stay',
      ),
    limits: PartialLimitsSchema.optional().describe('Limits of the runs, also told to the model'),
    check: fn<CheckHook>('a function (language, source) => Promise<{ ok, message }>')
      .optional()
      .describe('Static check of each attempt; a failure is sent back for repair'),
    cache: GenerationCacheSchema.optional().describe(
      'Cache of sources by prompt, model, language and endpoint',
    ),
    templates: z
      .custom<TemplateRegistry>(isObjectWith('list'), 'expected a TemplateRegistry')
      .optional()
      .describe('Templates to suggest when no provider is configured'),
    signal: z.instanceof(AbortSignal).optional().describe('Aborting it stops the requests and runs'),
    onAttempt: fn<(attempt: GenerationAttempt) => void>('a function')
      .optional()
      .describe('Called after each attempt'),
  })
  .strict();
export type GenerateFromPromptOpts = z.infer<typeof GenerateFromPromptOptsSchema>;

/** The error for a missing provider: which variables to set, and templates that may already do the job. */
export function noProviderError(
  prompt: string,
  templates: TemplateRegistry | undefined,
): InvalidOptionsError {
  const missing = missingLlmSettings(resolveLlmSettings());
  const suggestions = templates ? suggestTemplates(templates.list(), prompt) : [];
  const lines = [
    `no LLM provider is configured (${missing.join(' and ') || 'no provider given'}): set ` +
      'SCRIPTBOX_LLM_BASE_URL (e.g. https://api.openai.com/v1, or http://127.0.0.1:11434/v1 for Ollama) and ' +
      'SCRIPTBOX_LLM_MODEL, plus SCRIPTBOX_LLM_API_KEY if the endpoint needs a key',
  ];
  if (suggestions.length > 0) {
    lines.push('templates that may do it without a model:');
    for (const t of suggestions) lines.push(`  scriptbox generate ${t.id}  (${t.description})`);
  }
  return new InvalidOptionsError(lines.join('\n'), [lines[0] ?? ''], {
    data: { missing, suggestions: suggestions.map((t) => t.id) },
  });
}

function resolveLanguage(language: string, engine: Engine | undefined): string {
  if (engine) return engine.runtimes.resolve(language).name;
  const spec = builtinRuntimes().find((s) => s.name === language || s.aliases.includes(language));
  if (spec) return spec.name;
  const issue = `language: "${language}" is not one of ${builtinRuntimes()
    .map((s) => s.name)
    .join(', ')}`;
  throw new InvalidOptionsError(issue, [issue]);
}

function inputNames(files: GenerateFromPromptOpts['files']): string[] {
  return (files ?? []).map((file) =>
    'name' in file ? file.name : (file.path.split('/').pop() ?? file.path),
  );
}

/** Host failures: repairing the script cannot help. */
const NOT_REPAIRABLE = new Set(['sandbox', 'cancelled']);

/** Generates a script from `prompt`, repairing it on failure; see GenerateFromPromptOptsSchema. */
export async function generateFromPrompt(opts: GenerateFromPromptOpts): Promise<PromptGeneration> {
  const parsed = parseOptions(GenerateFromPromptOptsSchema, opts, 'prompt generation options');
  const { provider, cache, signal } = parsed;
  const language = resolveLanguage(parsed.language, parsed.engine);
  if (!provider) throw noProviderError(parsed.prompt, parsed.templates);
  const { environmentRules } = parsed;
  const cacheKey = promptCacheKey({
    prompt: parsed.prompt,
    model: provider.model,
    language,
    baseUrl: provider.baseUrl,
    ...(environmentRules ? { environmentRules } : {}),
  });
  const limits = parsed.limits ?? {};
  const messages = initialMessages(
    { language, inputs: inputNames(parsed.files), limits, environmentRules },
    parsed.prompt,
  );
  const maxAttempts = parsed.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const attempts: GenerationAttempt[] = [];
  let engine = parsed.engine;
  let ownEngine: Engine | undefined;

  const evaluate = async (code: string): Promise<Pick<GenerationAttempt, 'check' | 'run' | 'error'>> => {
    if (code.trim() === '')
      return { check: null, run: null, error: { kind: 'syntax', message: 'the reply held no code' } };
    const check = parsed.check ? await parsed.check(language, code) : null;
    if (check && !check.ok) return { check, run: null, error: { kind: 'rejected', message: check.message } };
    if (!parsed.run) return { check, run: null, error: null };
    if (!engine) engine = ownEngine = await createEngine({ pool: { size: 0 } });
    const run = await engine.run({
      language,
      source: code,
      files: parsed.files ?? [],
      limits,
      ...(signal ? { signal } : {}),
    });
    signal?.throwIfAborted();
    const error = run.ok ? null : (run.error ?? { kind: 'runtime', message: `exit code ${run.exitCode}` });
    return { check, run, error };
  };

  try {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      signal?.throwIfAborted();
      const cached = attempt === 1 ? cache?.get(cacheKey) : undefined;
      const started = performance.now();
      const reply =
        cached !== undefined
          ? asReply(language, cached)
          : (await provider.complete({ messages, ...(signal ? { signal } : {}) })).content;
      const llmMs = cached !== undefined ? 0 : Math.round(performance.now() - started);
      messages.push({ role: 'assistant', content: reply });
      const code = cached ?? extractCode(reply, language);
      const outcome = await evaluate(code);
      const done: GenerationAttempt = {
        attempt,
        reply,
        code,
        fromCache: cached !== undefined,
        ...outcome,
        ok: outcome.error === null,
        llmMs,
      };
      attempts.push(done);
      parsed.onAttempt?.(done);
      if (done.error === null) {
        if (cached === undefined) cache?.set(cacheKey, code);
        break;
      }
      if (NOT_REPAIRABLE.has(done.error.kind)) break;
      messages.push({ role: 'user', content: repairMessage(language, { error: done.error, run: done.run }) });
    }
  } finally {
    await ownEngine?.close();
  }
  const last = attempts[attempts.length - 1];
  return {
    ok: last?.ok ?? false,
    language,
    source: last?.code ?? '',
    attempts,
    model: provider.model,
    cacheKey,
  };
}
