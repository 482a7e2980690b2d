/** Typed engine events (for progress bars, metrics and audit later). */
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EgressEvent } from '../network/proxy.js';
import type { ErrorKind, RunResult, RunUsage } from './result.js';

export interface EngineEvents {
  'run:start': { runId: string; language: string; scriptHash: string; sessionId: string | null };
  'run:finish': {
    runId: string;
    language: string;
    sessionId: string | null;
    ok: boolean;
    kind: ErrorKind | null;
    usage: RunUsage;
  };
  'sandbox:create': { sandboxId: string; runtime: string; purpose: 'pool' | 'run' | 'session' };
  'sandbox:destroy': { sandboxId: string; runtime: string };
  'pool:refill': { runtime: string; ready: number };
  /** One decision of a granted sandbox's egress proxy (no payloads): for audit logs. */
  'network:egress': EgressEvent & { runId?: string; sessionId?: string };
}
export type EngineEventName = keyof EngineEvents;

/**
 * An EventEmitter with typed events. A listener that throws does not break the run that emitted: its
 * error is reported on stderr.
 */
export class EngineEventEmitter {
  private readonly emitter = new EventEmitter();

  on<K extends EngineEventName>(name: K, listener: (event: EngineEvents[K]) => void): this {
    this.emitter.on(name, listener);
    return this;
  }

  off<K extends EngineEventName>(name: K, listener: (event: EngineEvents[K]) => void): this {
    this.emitter.off(name, listener);
    return this;
  }

  emit<K extends EngineEventName>(name: K, event: EngineEvents[K]): void {
    for (const listener of this.emitter.listeners(name)) {
      try {
        (listener as (event: EngineEvents[K]) => void)(event);
      } catch (err) {
        process.stderr.write(`scriptbox: a '${name}' listener threw: ${(err as Error).message}\n`);
      }
    }
  }
}

/**
 * Runs `work` (given the run's id) between a run:start and a run:finish event (none is emitted when it
 * throws a host error).
 */
export async function reportRun(
  events: EngineEventEmitter,
  language: string,
  source: string,
  sessionId: string | null,
  work: (runId: string) => Promise<RunResult>,
): Promise<RunResult> {
  const runId = randomUUID();
  const scriptHash = createHash('sha256').update(source).digest('hex');
  events.emit('run:start', { runId, language, scriptHash, sessionId });
  const result = await work(runId);
  events.emit('run:finish', {
    runId,
    language,
    sessionId,
    ok: result.ok,
    kind: result.error?.kind ?? null,
    usage: result.usage,
  });
  return result;
}
