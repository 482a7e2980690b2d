/** What every route of a server shares, and how work that costs sandbox time is admitted and accounted. */
import type { FastifyReply } from 'fastify';
import type { Engine } from '../../engine/engine.js';
import type { RunResult } from '../../engine/result.js';
import type { EgressEvent } from '../../network/proxy.js';
import { errorCodeOf } from '../../errors.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import type { TemplateRegistry } from '../../generate/registry.js';
import type { Library } from '../../library/types.js';
import type { Principal, ServiceGuard } from '../../access/guard-types.js';
import type { InFlight, SessionStore } from './inflight.js';
import type { RuntimeVersions } from './piston.js';
import type { RunFiles } from './run-files.js';

export interface ServerContext {
  engine: Engine;
  library: Library;
  guard: ServiceGuard;
  /** The template registry, created on first use unless one was given. */
  templates(): TemplateRegistry;
  llm: LlmProvider | null;
  inflight: InFlight;
  sessions: SessionStore;
  versions: RuntimeVersions;
  /** One-shot runs' files kept for download by url. */
  runFiles: RunFiles;
}

export interface GuardedWork<T> {
  principal: Principal;
  reply: FastifyReply;
  /** What is audited: `run`, `session.run`, `batch`, `generate.prompt`... */
  action: string;
  /** What it acted on: a language, a script name, a session id, a template id. */
  target: string;
  work: (signal: AbortSignal) => Promise<T>;
  /** CPU time the work used, charged to the principal's daily quota. */
  cpuMs: (value: T) => number;
  /** The audit entry's details. */
  details: (value: T) => Record<string, unknown>;
  /** Network destinations the work asks for: the principal's token must allow each (admitNetwork). */
  network?: { allow: readonly string[] } | undefined;
}

/**
 * Admits the work (rate limit and quota), runs it as a tracked in-flight task (cancelled when the client
 * goes away or the shutdown grace ends), charges its CPU and audits it, whether it succeeds or throws.
 */
export async function guarded<T>(ctx: ServerContext, opts: GuardedWork<T>): Promise<T> {
  const { principal, action, target } = opts;
  if (opts.network) ctx.guard.admitNetwork(principal, opts.network.allow);
  ctx.guard.admitRun(principal);
  let value: T;
  try {
    value = await ctx.inflight.run(opts.reply, opts.work);
  } catch (err) {
    ctx.guard.audit(principal, action, target, { ok: false, error: errorCodeOf(err) });
    throw err;
  }
  ctx.guard.chargeCpu(principal, opts.cpuMs(value));
  ctx.guard.audit(principal, action, target, opts.details(value));
  return value;
}

/** The audit details of one run: how it ended and what it cost. */
export function runDetails(result: RunResult): Record<string, unknown> {
  return {
    ok: result.ok,
    kind: result.ok ? 'ok' : (result.error?.kind ?? 'runtime'),
    exitCode: result.exitCode,
    cpuMs: result.usage.cpuMs,
    wallMs: result.usage.wallMs,
    scriptHash: result.scriptHash,
    ...(result.network
      ? {
          network: {
            requests: result.network.requests,
            bytesIn: result.network.bytesIn,
            bytesOut: result.network.bytesOut,
            refused: result.network.refused.length,
          },
        }
      : {}),
  };
}

/**
 * The audit of a granted run's network: one entry per decision of its egress proxy (destination,
 * protocol, allowed or refused and why, bytes, status), never payloads.
 */
export function networkAudit(ctx: ServerContext, principal: Principal): (event: EgressEvent) => void {
  return (event) => {
    const { destination, decision, ...details } = event;
    ctx.guard.audit(principal, `network.${decision}`, destination, details);
  };
}

/** guarded() for one run. */
export function guardedRun(
  ctx: ServerContext,
  opts: Omit<GuardedWork<RunResult>, 'cpuMs' | 'details'>,
): Promise<RunResult> {
  return guarded(ctx, { ...opts, cpuMs: (result) => result.usage.cpuMs, details: runDetails });
}
