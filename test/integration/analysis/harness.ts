/**
 * Shared by the script-equals-direct-engine tests: run a `stats` template on a table in the real sandbox
 * (the table goes in as its canonical CSV, as the chat uploads it) and compare JSON results to 1e-9.
 */
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Engine, RunResult } from '../../../src/index.js';
import type { TemplateRegistry } from '../../../src/generate/registry.js';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
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

export async function runTemplateOnTable(
  engine: Engine,
  registry: TemplateRegistry,
  id: string,
  params: Record<string, unknown>,
  table: Table,
): Promise<TemplateRun> {
  const resolved = registry.resolveParams(id, { file: 'data.csv', ...params });
  const rendered = registry.render(id, resolved);
  const outDir = mkdtempSync(join(process.env.SCRIPTBOX_HOME ?? '/tmp', 'analysis-out-'));
  const run = await engine.run({
    language: rendered.language,
    source: rendered.source,
    files: [{ name: 'data.csv', content: tableToCsv(table) }],
    limits: { timeoutMs: 60_000, cpuMs: 60_000, memoryMb: 1024 },
    outDir,
  });
  if (!run.ok) throw new Error(`${id} failed: ${run.error?.message ?? ''}\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  return { result, params: resolved, outDir, files: await readdir(outDir), run };
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
