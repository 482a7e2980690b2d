/**
 * Server-wide ceilings, enforced here for every request the engine takes (engine.run and stream, batches,
 * sessions and each of their runs): a limit above its ceiling is refused before any sandbox starts, so no
 * request, token or session can ask for more. The refusal carries `{ limit, requested, ceiling }`; faces
 * reword it with their own name for the limit (`--memory`, `run_memory_limit`) from `breach`.
 * Where the ceilings come from: resolveLimits in engine/resolve-options.ts.
 */
import { CEILING_ENV } from '../config.js';
import { ScriptboxError } from '../errors.js';
import type { Limits, PartialLimits } from './options.js';
import { parseOptions } from '../parse-options.js';
import { Session, SessionRunOptsSchema, type SessionRunOpts } from './session.js';
import type { RunResult } from './result.js';

export type LimitName = keyof Limits;

/** Each limit's unit, for messages. */
export const LIMIT_UNITS: Record<LimitName, string> = {
  timeoutMs: 'ms',
  cpuMs: 'ms',
  memoryMb: 'MiB',
  maxProcesses: 'processes',
  maxOutputBytes: 'bytes',
  diskMb: 'MiB',
  maxOutFiles: 'files',
  maxOutBytes: 'bytes',
};

/** A limit asked above its ceiling, in the engine's units. */
export interface CeilingBreach {
  limit: LimitName;
  requested: number;
  ceiling: number;
}

/** The library's (and the HTTP API's and MCP's) wording: the limit as `limits.<name>`. */
export function ceilingMessage({ limit, requested, ceiling }: CeilingBreach): string {
  const unit = LIMIT_UNITS[limit];
  return (
    `limits.${limit}: ${requested} ${unit} is above the server's ceiling of ${ceiling} ${unit}; ask for at ` +
    `most ${ceiling} (the ceiling is set by ${CEILING_ENV[limit]} or the engine option ceilings.${limit})`
  );
}

/** A run, session or batch asked for a limit above its server-wide ceiling (HTTP 400, exit 2). */
export class LimitAboveCeilingError extends ScriptboxError {
  readonly breach: CeilingBreach;

  constructor(breach: CeilingBreach) {
    super('LIMIT_ABOVE_CEILING', ceilingMessage(breach), {
      data: { limit: breach.limit, requested: breach.requested, ceiling: breach.ceiling },
    });
    this.breach = breach;
  }
}

/** Throws LimitAboveCeilingError for the first limit of `limits` above its ceiling; unset limits pass. */
export function enforceCeilings(limits: PartialLimits | undefined, ceilings: Limits): void {
  if (limits === undefined) return;
  for (const limit of Object.keys(ceilings) as LimitName[]) {
    const requested = limits[limit];
    const ceiling = ceilings[limit];
    if (requested !== undefined && requested > ceiling) {
      throw new LimitAboveCeilingError({ limit, requested, ceiling });
    }
  }
}

/**
 * Limits a face or template chose by itself (not a caller's request), each lowered to its ceiling: a server
 * with a low ceiling still runs its own defaults rather than refusing them.
 */
export function withinCeilings(limits: PartialLimits, ceilings: Readonly<Limits>): PartialLimits {
  const lowered: PartialLimits = { ...limits };
  for (const limit of Object.keys(ceilings) as LimitName[]) {
    const value = lowered[limit];
    if (value !== undefined) lowered[limit] = Math.min(value, ceilings[limit]);
  }
  return lowered;
}

/** A session whose every run is held to the engine's ceilings (the session's own limits were at creation). */
export class CeiledSession extends Session {
  private readonly ceilings: Limits;

  constructor(ceilings: Limits, ...args: ConstructorParameters<typeof Session>) {
    super(...args);
    this.ceilings = ceilings;
  }

  /** Throws like Session.run does for invalid options: at once, before queueing. */
  override run(opts: SessionRunOpts): Promise<RunResult> {
    enforceCeilings(parseOptions(SessionRunOptsSchema, opts, 'session run options').limits, this.ceilings);
    return super.run(opts);
  }
}
