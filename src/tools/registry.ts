/**
 * The tool registry: tools by name, listed with JSON Schema (for discovery and MCP) and in OpenAI
 * function-calling format; call() validates the input (InvalidOptionsError naming each bad field), runs
 * the handler under a timeout combined with the caller's signal, validates the output, and answers repeated
 * calls of cacheable tools from a bounded LRU keyed by sha256 of the canonical JSON of the validated input.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { InvalidOptionsError, ScriptboxError } from '../errors.js';
import { StreamCallbacksShape } from '../engine/options.js';
import { canonicalJson } from '../generate/cache.js';
import { LruCache } from './lru.js';
import { decodeStrictArguments, toStrictSchema, type JsonSchema, type OpenAiTool } from './openai.js';
import type { Tool, ToolAnnotations, ToolResult, ScriptRef } from './types.js';

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
export const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;

export const ToolRegistryOptsSchema = z
  .object({
    defaultTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(86_400_000)
      .default(DEFAULT_TOOL_TIMEOUT_MS)
      .describe('Limit for one call of a tool that sets none'),
    cacheEntries: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(256)
      .describe('Results of cacheable tools kept in memory (least recently used go first; 0: no cache)'),
    maxCachedBytes: z
      .number()
      .int()
      .min(0)
      .default(1_048_576)
      .describe('Results larger than this (as JSON) are not cached'),
  })
  .strict();
export type ToolRegistryOpts = z.input<typeof ToolRegistryOptsSchema>;

export const ToolCallOptsSchema = z
  .object({
    signal: z
      .instanceof(AbortSignal)
      .optional()
      .describe('Aborting it aborts the handler and rejects the call'),
    timeoutMs: z.number().int().min(1).optional().describe("This call's limit (default: the tool's)"),
    principal: z
      .object({ tokenId: z.string().nullable(), name: z.string() })
      .optional()
      .describe('Who calls; handed to the handler (library writes record it as who)'),
    onNetwork: StreamCallbacksShape.onNetwork,
  })
  .strict();
export type ToolCallOpts = z.input<typeof ToolCallOptsSchema>;

/** A tool as list() describes it. */
export interface ToolInfo {
  name: string;
  title?: string;
  description: string;
  annotations: ToolAnnotations;
  cacheable: boolean;
  metered: boolean;
  script?: ScriptRef;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
}

export interface ToolCallResult extends ToolResult {
  /** True when the result came from the cache (then nothing ran and cpuMs is 0). */
  cached: boolean;
}

/** The tool did not finish within its time limit; its handler was aborted. */
export class ToolTimeoutError extends ScriptboxError {
  constructor(tool: string, timeoutMs: number) {
    super('TOOL_TIMEOUT', `tool ${tool} did not finish within ${timeoutMs} ms and was stopped`, {
      data: { tool, timeoutMs, reason: 'timeout' },
    });
  }
}

interface Entry {
  tool: Tool;
  info: ToolInfo;
}

function jsonSchemaOf(tool: Tool, schema: z.ZodObject, io: 'input' | 'output'): JsonSchema {
  try {
    const json: JsonSchema = { ...z.toJSONSchema(schema, { io }) };
    delete json['$schema'];
    return json;
  } catch (cause) {
    const issue = `${io}: tool ${tool.name} has a schema JSON Schema cannot state (${(cause as Error).message})`;
    throw new InvalidOptionsError(issue, [issue], { cause });
  }
}

export class ToolRegistry {
  private readonly tools = new Map<string, Entry>();
  private readonly cache: LruCache<ToolResult>;
  private readonly listeners = new Set<() => void>();
  private readonly opts: z.output<typeof ToolRegistryOptsSchema>;

  constructor(opts: ToolRegistryOpts = {}) {
    this.opts = parseOptions(ToolRegistryOptsSchema, opts, 'tool registry options');
    this.cache = new LruCache(this.opts.cacheEntries);
  }

  /** Adds a tool; a bad or taken name, or a schema JSON Schema cannot state, throws InvalidOptionsError. */
  register(tool: Tool): this {
    const problem = !TOOL_NAME_RE.test(tool.name)
      ? `name: ${JSON.stringify(tool.name)} is not 1-64 letters, digits, _ or -`
      : this.tools.has(tool.name)
        ? `name: a tool named ${tool.name} is already registered`
        : null;
    if (problem !== null) throw new InvalidOptionsError(`cannot register tool: ${problem}`, [problem]);
    const { name, title, description, annotations, cacheable, metered, script } = tool;
    const info: ToolInfo = {
      name,
      ...(title !== undefined ? { title } : {}),
      description,
      annotations,
      cacheable,
      metered,
      ...(script ? { script } : {}),
      inputSchema: jsonSchemaOf(tool, tool.input, 'input'),
      outputSchema: jsonSchemaOf(tool, tool.output, 'output'),
    };
    this.tools.set(name, { tool, info });
    this.changed();
    return this;
  }

  /** Removes a tool (and its cached results); false when there was none. */
  unregister(name: string): boolean {
    const removed = this.tools.delete(name);
    if (removed) {
      this.cache.deletePrefix(`${name}\n`);
      this.changed();
    }
    return removed;
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** The tool, or InvalidOptionsError naming the known ones. */
  get(name: string): Tool {
    const entry = this.tools.get(name);
    if (entry) return entry.tool;
    const issue = `name: no tool ${JSON.stringify(name)} (known: ${[...this.tools.keys()].join(', ')})`;
    throw new InvalidOptionsError(issue, [issue]);
  }

  /** Every tool, in registration order. */
  all(): Tool[] {
    return [...this.tools.values()].map((entry) => entry.tool);
  }

  /** Every tool with the JSON Schema of its input and output, in registration order. */
  list(): ToolInfo[] {
    return [...this.tools.values()].map((entry) => entry.info);
  }

  /** Every tool in OpenAI function-calling format, strict mode (see openai.ts). */
  openAiTools(): OpenAiTool[] {
    return this.list().map((info) => ({
      type: 'function',
      function: {
        name: info.name,
        description: info.description,
        parameters: toStrictSchema(info.inputSchema),
        strict: true,
      },
    }));
  }

  /** Called after every register and unregister; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a tool and returns its validated output (see invoke() for the text and CPU time too). */
  async call(name: string, rawInput: unknown, opts: ToolCallOpts = {}): Promise<Record<string, unknown>> {
    return (await this.invoke(name, rawInput, opts)).output;
  }

  /** Runs an OpenAI tool call (`arguments` as the model sent them, JSON text, strict format). */
  async callOpenAi(
    toolCall: { name: string; arguments: string },
    opts: ToolCallOpts = {},
  ): Promise<Record<string, unknown>> {
    let args: unknown;
    try {
      args = JSON.parse(toolCall.arguments);
    } catch {
      const issue = `arguments: not JSON text (${toolCall.arguments.slice(0, 80)})`;
      throw new InvalidOptionsError(`invalid call of tool ${toolCall.name}: ${issue}`, [issue]);
    }
    const entry = this.tools.get(toolCall.name);
    const decoded = entry ? decodeStrictArguments(args, entry.info.inputSchema) : args;
    return this.call(toolCall.name, decoded, opts);
  }

  /** Like call(), with the readable text, the CPU time used and whether the cache answered. */
  async invoke(name: string, rawInput: unknown, opts: ToolCallOpts = {}): Promise<ToolCallResult> {
    const callOpts = parseOptions(ToolCallOptsSchema, opts, 'tool call options');
    const tool = this.get(name);
    const prepared = tool.prepare(rawInput);
    const key = tool.cacheable
      ? `${name}\n${createHash('sha256').update(canonicalJson(prepared.input)).digest('hex')}`
      : null;
    const hit = key === null ? undefined : this.cache.get(key);
    if (hit) return { ...structuredClone(hit), cpuMs: 0, cached: true };
    const timeoutMs = callOpts.timeoutMs ?? tool.timeoutMs ?? this.opts.defaultTimeoutMs;
    const timer = new AbortController();
    const signal = callOpts.signal ? AbortSignal.any([callOpts.signal, timer.signal]) : timer.signal;
    const timeout = setTimeout(() => timer.abort(new ToolTimeoutError(name, timeoutMs)), timeoutMs);
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () =>
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      signal.throwIfAborted();
      const { principal, onNetwork } = callOpts;
      const work = prepared.run({
        signal,
        ...(principal ? { principal } : {}),
        ...(onNetwork ? { onNetwork } : {}),
      });
      work.catch(() => undefined); // a handler that loses the race still settles quietly
      const result = await Promise.race([work, aborted]);
      if (key !== null && JSON.stringify(result.output).length <= this.opts.maxCachedBytes) {
        this.cache.set(key, structuredClone(result));
      }
      return { ...result, cached: false };
    } finally {
      clearTimeout(timeout);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Forgets every cached result. */
  clearCache(): void {
    this.cache.clear();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
