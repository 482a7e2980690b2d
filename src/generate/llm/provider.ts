/**
 * An OpenAI-compatible chat completions client (OpenAI, xAI, Ollama, vLLM, llama.cpp server): POST
 * `{baseUrl}/chat/completions` with `model`, `messages`, `temperature`; the key goes in
 * `Authorization: Bearer`. The key lives only in a closure: it is never logged, and any echo of it in a
 * provider's reply is redacted before it reaches an error message.
 */
import { z } from 'zod';
import { resolveLlmSettings, type LlmSettings } from '../../config.js';
import { parseOptions } from '../../parse-options.js';
import { InvalidOptionsError, ScriptboxError, type ErrorCode } from '../../errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatCompletionOpts {
  messages: ChatMessage[];
  /** Overrides the provider's temperature for this request. */
  temperature?: number;
  signal?: AbortSignal;
}

export interface ChatReply {
  content: string;
  /** `stop`, or `length` when the reply was cut at the token limit. */
  finishReason: string | null;
  /** The model that answered, as the provider reports it. */
  model: string;
  usage: { promptTokens: number; completionTokens: number } | null;
  /** How long the request took. */
  wallMs: number;
}

export interface LlmProvider {
  readonly baseUrl: string;
  readonly model: string;
  complete(opts: ChatCompletionOpts): Promise<ChatReply>;
}

export const DEFAULT_LLM_TIMEOUT_MS = 120_000;
const MAX_REPLY_BYTES = 8 * 1_048_576;

export const LlmProviderOptsSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .describe('Base URL of the API, without /chat/completions, e.g. https://api.openai.com/v1'),
    model: z.string().min(1).describe('Model name, e.g. gpt-4o-mini'),
    apiKey: z.string().min(1).optional().describe('Sent as Authorization: Bearer; never logged'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(3_600_000)
      .optional()
      .describe(`Limit per request in milliseconds (default ${DEFAULT_LLM_TIMEOUT_MS})`),
    temperature: z.number().min(0).max(2).optional().describe('Sampling temperature (default 0.2)'),
  })
  .strict();
export type LlmProviderOpts = z.infer<typeof LlmProviderOptsSchema>;

/** The provider failed: unreachable, an HTTP error, a timeout, or a reply that is not a chat completion. */
export class LlmProviderError extends ScriptboxError {
  constructor(code: ErrorCode, message: string, data: Record<string, unknown>, cause?: unknown) {
    super(code, message, { data, cause });
  }
}

const ReplySchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number(), completion_tokens: z.number() })
    .partial()
    .nullable()
    .optional(),
});

const ErrorBodySchema = z.object({
  error: z.union([z.string(), z.object({ message: z.string() }).loose()]),
});

/** The URL without credentials or query, fit for messages. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return ' (check the API key: apiKey or SCRIPTBOX_LLM_API_KEY)';
  if (status === 404) {
    return ' (check the base URL, which usually ends in /v1, and the model: SCRIPTBOX_LLM_BASE_URL, SCRIPTBOX_LLM_MODEL)';
  }
  if (status === 429) return ' (rate limited: wait and try again)';
  return status >= 500 ? ' (the provider failed: try again later)' : '';
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<unknown> = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new Error('the reply body is not bytes');
    size += value.byteLength;
    if (size > MAX_REPLY_BYTES) {
      await reader.cancel();
      throw new Error(`the reply is larger than ${MAX_REPLY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function providerMessage(text: string): string {
  let message = text;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success)
      message = typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error.message;
  } catch {
    // not JSON: the text itself
  }
  message = message.trim().replace(/\s+/g, ' ');
  return message.length > 500 ? `${message.slice(0, 500)}...` : message;
}

/** Creates a provider; throws InvalidOptionsError for bad options (the key is never echoed). */
export function createLlmProvider(opts: LlmProviderOpts): LlmProvider {
  const parsed = parseOptions(LlmProviderOptsSchema, opts, 'LLM provider options');
  const { apiKey } = parsed;
  const baseUrl = parsed.baseUrl.replace(/\/+$/, '');
  const endpoint = new URL(`${baseUrl}/chat/completions`);
  const where = shown(endpoint);
  const redact = (text: string): string => (apiKey ? text.replaceAll(apiKey, '[redacted]') : text);
  const fail = (code: ErrorCode, message: string, data: Record<string, unknown>, cause?: unknown): never => {
    // Causes are rewritten too: a JSON.parse error quotes the text it could not parse.
    const safeCause = cause instanceof Error ? new Error(redact(cause.message)) : undefined;
    throw new LlmProviderError(
      code,
      redact(`LLM request to ${where} ${message}`),
      { url: where, ...data },
      safeCause,
    );
  };

  async function complete(call: ChatCompletionOpts): Promise<ChatReply> {
    const timeoutMs = parsed.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const started = performance.now();
    const body = {
      model: parsed.model,
      messages: call.messages,
      temperature: call.temperature ?? parsed.temperature ?? 0.2,
    };
    let response: Response;
    let text: string;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal,
      });
      text = await readCapped(response);
    } catch (err) {
      call.signal?.throwIfAborted();
      if (timeout.aborted) {
        return fail('GENERATION_FAILED', `got no reply within ${timeoutMs} ms (raise timeoutMs)`, {
          timeoutMs,
        });
      }
      const why =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      return fail(
        'GENERATION_FAILED',
        `failed: ${why} (is SCRIPTBOX_LLM_BASE_URL right and the server up?)`,
        {},
      );
    }
    if (!response.ok) {
      const message = providerMessage(text);
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      const code: ErrorCode = [401, 403, 404].includes(response.status)
        ? 'INVALID_OPTIONS'
        : 'GENERATION_FAILED';
      return fail(code, `failed: HTTP ${status}: ${message || '(no message)'}${hintFor(response.status)}`, {
        status: response.status,
        providerMessage: redact(message),
      });
    }
    let reply: z.infer<typeof ReplySchema>;
    try {
      reply = ReplySchema.parse(JSON.parse(text));
    } catch (err) {
      return fail('GENERATION_FAILED', 'returned something that is not a chat completion', {}, err);
    }
    const choice = reply.choices[0];
    const content = choice?.message.content;
    if (typeof content !== 'string' || content.trim() === '') {
      return fail('GENERATION_FAILED', 'returned a reply without text content', {
        finishReason: choice?.finish_reason,
      });
    }
    const usage = reply.usage;
    return {
      content,
      finishReason: choice?.finish_reason ?? null,
      model: reply.model ?? parsed.model,
      usage: usage
        ? { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 }
        : null,
      wallMs: Math.round(performance.now() - started),
    };
  }

  return { baseUrl, model: parsed.model, complete };
}

/** SCRIPTBOX_LLM_* variables that must be set before a provider can be made from the environment. */
export function missingLlmSettings(settings: LlmSettings): string[] {
  return [
    ...(settings.baseUrl ? [] : ['SCRIPTBOX_LLM_BASE_URL']),
    ...(settings.model ? [] : ['SCRIPTBOX_LLM_MODEL']),
  ];
}

/** A provider from options > SCRIPTBOX_LLM_* variables, or null when the base URL or model is missing. */
export function llmProviderFromEnv(opts: LlmSettings & { timeoutMs?: number } = {}): LlmProvider | null {
  const settings = resolveLlmSettings(opts);
  if (!settings.baseUrl || !settings.model) return null;
  try {
    return createLlmProvider({
      ...settings,
      baseUrl: settings.baseUrl,
      model: settings.model,
      ...pickTimeout(opts),
    });
  } catch (err) {
    if (!(err instanceof InvalidOptionsError)) throw err;
    const issue = `SCRIPTBOX_LLM_BASE_URL / SCRIPTBOX_LLM_MODEL: ${err.message}`;
    throw new InvalidOptionsError(issue, [issue], { cause: err });
  }
}

function pickTimeout(opts: { timeoutMs?: number }): { timeoutMs?: number } {
  return opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {};
}
