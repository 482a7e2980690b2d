/**
 * runAnalysis cancelled through its signal, with both runners: the run ends as `cancelled` (a result, not
 * an exception), its sandbox is freed, and a session it ran in stays usable.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTemplateRegistry } from '../../../src/generate/registry.js';
import { createEngine, type Engine, type EngineEvents } from '../../../src/index.js';
import { findAnalysis } from '../../../src/workflows/analysis/analyses/index.js';
import {
  oneShotRunner,
  runAnalysis,
  sessionRunner,
  uploadDataset,
} from '../../../src/workflows/analysis/analyze.js';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
import { readDataset, type Dataset } from '../../../src/workflows/analysis/dataset.js';
import type { AnalysisSpec } from '../../../src/workflows/analysis/spec.js';
import { housing } from './datasets.js';

const registry = createTemplateRegistry();
let engine: Engine;
let dataset: Dataset;
let spec: AnalysisSpec;

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  dataset = await readDataset('housing.csv', Buffer.from(tableToCsv(housing())));
  const found = findAnalysis('descriptive');
  if (!found) throw new Error('no descriptive analysis');
  spec = found;
});
afterAll(async () => {
  await engine?.close();
});

/** Resolves with the sandbox:destroy event of `sandboxId` (at once if it went out already). */
function destroyedEvent(sandboxId: () => string | undefined, seen: Set<string>): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      const id = sandboxId();
      if (id === undefined || !seen.has(id)) return;
      engine.events.off('sandbox:destroy', check);
      resolve();
    };
    engine.events.on('sandbox:destroy', check);
    check();
  });
}

describe('runAnalysis cancelled', () => {
  test('in a one-shot sandbox, aborted once its sandbox is up: kind cancelled, the sandbox destroyed', async () => {
    const controller = new AbortController();
    let sandboxId: string | undefined;
    const destroyed = new Set<string>();
    const onCreate = (event: EngineEvents['sandbox:create']): void => {
      sandboxId ??= event.sandboxId;
      controller.abort();
    };
    const onDestroy = (event: EngineEvents['sandbox:destroy']): void => void destroyed.add(event.sandboxId);
    engine.events.on('sandbox:create', onCreate).on('sandbox:destroy', onDestroy);
    try {
      const gone = destroyedEvent(() => sandboxId, destroyed);
      const done = await runAnalysis({
        registry,
        dataset,
        spec,
        runner: oneShotRunner(engine, dataset),
        signal: controller.signal,
      });
      expect(done.run.error?.kind).toBe('cancelled');
      expect(done.result).toBeUndefined();
      expect(done.error).toBe('descriptive was cancelled before it finished');
      expect(done.blocks).toEqual([{ kind: 'text', text: done.error }]);
      await gone;
      expect(sandboxId).toBeDefined();
    } finally {
      engine.events.off('sandbox:create', onCreate).off('sandbox:destroy', onDestroy);
    }
  });

  test('aborted before it runs: cancelled, and no sandbox starts', async () => {
    const created: string[] = [];
    const onCreate = (event: EngineEvents['sandbox:create']): void => void created.push(event.sandboxId);
    engine.events.on('sandbox:create', onCreate);
    try {
      const done = await runAnalysis({
        registry,
        dataset,
        spec,
        runner: oneShotRunner(engine, dataset),
        signal: AbortSignal.abort(),
      });
      expect(done.run.error?.kind).toBe('cancelled');
      expect(created).toEqual([]);
    } finally {
      engine.events.off('sandbox:create', onCreate);
    }
  });

  test('in a session, aborted as its run starts: cancelled, and the session runs the next one', async () => {
    const session = await engine.createSession({ language: 'python' });
    try {
      await uploadDataset(session, dataset);
      const controller = new AbortController();
      const onStart = (event: EngineEvents['run:start']): void => {
        if (event.sessionId === session.id) controller.abort();
      };
      engine.events.on('run:start', onStart);
      const cancelled = await runAnalysis({
        registry,
        dataset,
        spec,
        runner: sessionRunner(session),
        signal: controller.signal,
      }).finally(() => engine.events.off('run:start', onStart));
      expect(cancelled.run.error?.kind).toBe('cancelled');
      expect(session.closed).toBe(false);

      const next = await runAnalysis({ registry, dataset, spec, runner: sessionRunner(session) });
      expect(next.error).toBeUndefined();
      expect(next.result).toBeDefined();
    } finally {
      await session.close();
    }
  });
});
