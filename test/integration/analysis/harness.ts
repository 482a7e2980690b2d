/**
 * Shared by the script-equals-direct-engine tests: a real sandbox engine for a test file, running a `stats`
 * template on a table (the table goes in as its canonical CSV, as the chat uploads it), holding its JSON
 * result equal to the direct engine's to 1e-9, and holding a refusal's message equal on both sides.
 */
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { createTemplateRegistry, type TemplateRegistry } from '../../../src/generate/registry.js';
import { createEngine, type Engine, type RunResult } from '../../../src/index.js';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
import type { AnalysisSpec } from '../../../src/workflows/analysis/spec.js';
import type { Table } from '../../../src/workflows/analysis/table.js';

export interface TemplateRun {
  /** The one JSON object the script printed. */
  result: Record<string, unknown>;
  /** Parameters with defaults filled in: what `direct()` gets. */
  params: Record<string, unknown>;
  /** Host directory holding the files the script wrote under out/. */
  outDir: string;
  /** Names of those files. */
  files: string[];
  run: RunResult;
}

export interface AnalysisSandbox {
  registry: TemplateRegistry;
  /** The engine itself, for runs of other code. */
  engine(): Engine;
  /** Runs the template on the table; throws when the script fails. */
  run(id: string, params: Record<string, unknown>, table: Table): Promise<TemplateRun>;
  /** Runs the analysis's template and holds its result equal to `direct()`'s (to 1e-9); returns both. */
  scriptEqualsDirect(
    spec: AnalysisSpec,
    params: Record<string, unknown>,
    table: Table,
  ): Promise<{ script: TemplateRun; direct: Record<string, unknown> }>;
  /**
   * The script fails with one JSON error object whose message matches `message`, and `direct()` throws
   * InvalidOptionsError with the same message.
   */
  bothRefuse(
    spec: AnalysisSpec,
    params: Record<string, unknown>,
    table: Table,
    message: RegExp,
  ): Promise<void>;
}

const LIMITS = { timeoutMs: 60_000, cpuMs: 60_000, memoryMb: 1024 };

/**
 * A sandbox for this test file: an engine whose pool keeps `preload` imported, started before the file's
 * tests and closed after them.
 */
export function analysisSandbox(preload: readonly string[], poolSize = 2): AnalysisSandbox {
  const registry = createTemplateRegistry({ templateDirs: [] });
  let engine: Engine | undefined;
  beforeAll(async () => {
    engine = await createEngine({ pool: { size: poolSize, preload: [...preload] } });
  });
  afterAll(async () => {
    await engine?.close();
  });

  function started(): Engine {
    if (engine === undefined) throw new Error('the analysis sandbox runs only inside tests');
    return engine;
  }

  async function start(id: string, params: Record<string, unknown>, table: Table) {
    const resolved = registry.resolveParams(id, { file: 'data.csv', ...params });
    const { language, source } = registry.render(id, resolved);
    const outDir = mkdtempSync(join(process.env.SCRIPTBOX_HOME ?? '/tmp', 'analysis-out-'));
    const files = [{ name: 'data.csv', content: tableToCsv(table) }];
    const run = await started().run({ language, source, files, limits: LIMITS, outDir });
    return { run, params: resolved, outDir };
  }

  async function run(id: string, params: Record<string, unknown>, table: Table): Promise<TemplateRun> {
    const done = await start(id, params, table);
    if (!done.run.ok) {
      const { error, stdout, stderr } = done.run;
      throw new Error(`${id} failed: ${error?.message ?? ''}\n${stdout}\n${stderr}`);
    }
    const result = JSON.parse(done.run.stdout) as Record<string, unknown>;
    return { ...done, result, files: await readdir(done.outDir) };
  }

  return {
    registry,
    engine: started,
    run,
    async scriptEqualsDirect(spec, params, table) {
      const script = await run(spec.templateId, params, table);
      const direct = spec.direct(table, script.params);
      expectClose(script.result, direct, 1e-9);
      return { script, direct };
    },
    async bothRefuse(spec, params, table, message) {
      const { run: failed, params: resolved } = await start(spec.templateId, params, table);
      expect(failed.exitCode, failed.stdout + failed.stderr).toBe(1);
      const { error } = JSON.parse(failed.stdout) as { error: string };
      expect(error).toMatch(message);
      let thrown: unknown;
      try {
        spec.direct(table, resolved);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionsError);
      expect((thrown as Error).message).toBe(error);
    },
  };
}

/**
 * Deep equality where numbers may differ by `rel` relative to the larger magnitude (absolute `rel` near
 * zero); strings, booleans, nulls, keys and array lengths must match exactly. Failures name the path.
 */
export function expectClose(actual: unknown, expected: unknown, rel = 1e-9, path = '$'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const scale = Math.max(Math.abs(expected), Math.abs(actual), 1);
    if (Math.abs(actual - expected) > rel * scale) {
      expect.fail(`${path}: ${actual} differs from ${expected} by more than ${rel} relative`);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) expect.fail(`${path}: expected an array, got ${JSON.stringify(actual)}`);
    if (actual.length !== expected.length) {
      expect.fail(`${path}: length ${actual.length}, expected ${expected.length}`);
    }
    expected.forEach((item, index) => expectClose(actual[index], item, rel, `${path}[${index}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      expect.fail(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    }
    const actualRecord = actual as Record<string, unknown>;
    const expectedRecord = expected as Record<string, unknown>;
    expect(Object.keys(actualRecord).sort(), `${path} keys`).toEqual(Object.keys(expectedRecord).sort());
    for (const key of Object.keys(expectedRecord)) {
      expectClose(actualRecord[key], expectedRecord[key], rel, `${path}.${key}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}
