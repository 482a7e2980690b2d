/**
 * A tool: a name, a description, zod input and output schemas and an async handler, defined once and
 * served by every face (the registry's call(), MCP, OpenAI function calling). defineTool() keeps the
 * handler typed against its own schemas and hands the registry a type-erased Tool whose prepare() validates
 * raw input and whose run() validates the output, so nothing unvalidated crosses the boundary either way.
 */
import type { z } from 'zod';
import { parseOptions } from '../parse-options.js';
import { ScriptboxError } from '../errors.js';
import type { Principal } from '../access/guard-types.js';
import type { EgressEvent } from '../network/proxy.js';
import { splitMedia } from './media.js';

/** What a tool does to the world, as MCP annotations (readOnlyHint, destructiveHint, ...) say it. */
export interface ToolAnnotations {
  /** Changes nothing (reads, computes, runs a script in a throwaway sandbox). */
  readOnly?: boolean;
  /** May delete or overwrite something: faces ask before running it. */
  destructive?: boolean;
  /** Calling it again with the same input has no further effect. */
  idempotent?: boolean;
  /** Talks to something outside scriptbox (an LLM endpoint). */
  openWorld?: boolean;
}

export interface ToolContext {
  /** Aborted when the caller cancels or the tool's timeout passes: stop work and free resources. */
  signal: AbortSignal;
  /** Who calls (a token's principal; the local user over stdio); absent for in-process calls. */
  principal?: Principal;
  /** Audits the network decisions of the runs the call makes (RunOpts.onNetwork), when the face has an audit. */
  onNetwork?: (event: EgressEvent) => void;
}

/** A tool made from a saved library script (see script-tools.ts). */
export interface ScriptRef {
  name: string;
  version: number;
}

export interface ToolDefinition<I extends z.ZodObject, O extends z.ZodObject> {
  /** `^[a-zA-Z0-9_-]{1,64}$` (OpenAI's rule, stricter than MCP's). */
  name: string;
  title?: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Results are kept by a hash of the validated input: only for pure tools (same input, same output). */
  cacheable?: boolean;
  /** Limit for one call (default: the registry's); the caller's signal still applies. */
  timeoutMs?: number;
  /** Runs code or asks a model: a service guard admits each call first and charges `cpuMs(output)`. */
  metered?: { cpuMs: (output: z.output<O>) => number };
  /** The output as readable text for clients that show text (default: indented JSON without media bytes). */
  text?: (output: z.output<O>) => string;
  /**
   * The network destinations a call asks for (allowlist entries), so a service guard can check the
   * caller's token allows them before the call runs; the engine checks them against the server's policy.
   */
  network?: (input: z.output<I>) => readonly string[];
  script?: ScriptRef;
  handler: (input: z.output<I>, ctx: ToolContext) => Promise<z.input<O>>;
}

/** A validated output and what faces need besides it. */
export interface ToolResult {
  output: Record<string, unknown>;
  text: string;
  /** CPU time the call used in sandboxes (0 for tools that run nothing). */
  cpuMs: number;
}

/** One call with its input already validated. */
export interface PreparedCall {
  readonly input: Record<string, unknown>;
  /** Network destinations the call asks for (none for most tools). */
  readonly network: readonly string[];
  run(ctx: ToolContext): Promise<ToolResult>;
}

/** A tool as the registry holds it: the definition's metadata, its handler behind validation. */
export interface Tool {
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly input: z.ZodObject;
  readonly output: z.ZodObject;
  readonly annotations: ToolAnnotations;
  readonly cacheable: boolean;
  readonly timeoutMs?: number;
  readonly metered: boolean;
  readonly script?: ScriptRef;
  /** Validates raw input, or throws InvalidOptionsError naming each bad field (`limits.timeoutMs: ...`). */
  prepare(rawInput: unknown): PreparedCall;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): Tool {
  const { handler, metered, text, cacheable, network, ...meta } = def;
  const check = (value: unknown): z.output<O> => {
    const parsed = def.output.safeParse(value);
    if (parsed.success) return parsed.data;
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ScriptboxError(
      'INTERNAL',
      `tool ${def.name} returned output off its schema: ${issues.join('; ')}`,
      {
        data: { tool: def.name, issues },
      },
    );
  };
  return {
    ...meta,
    cacheable: cacheable === true,
    metered: metered !== undefined,
    prepare(rawInput) {
      const input = parseOptions(def.input, rawInput ?? {}, `input of tool ${def.name}`);
      return {
        input,
        network: network ? network(input) : [],
        async run(ctx) {
          const output = check(await handler(input, ctx));
          return {
            output,
            // Images and file bytes are not text to read: faces send them as what they are (media.ts).
            text: text ? text(output) : JSON.stringify(splitMedia(output).rest, null, 2),
            cpuMs: metered ? metered.cpuMs(output) : 0,
          };
        },
      };
    },
  };
}
