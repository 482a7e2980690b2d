import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { checkedRun, checkForRepair } from '../../src/workflows/checked-run.js';
import { runCli } from './cli-process.js';

const SPAWNS = 'print("ran")\nimport os as o\no.system("id")\n';
let engine: Engine;
let dir: string;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-checked-'));
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (policy: 'strict' | 'warn' | 'off', source = SPAWNS) =>
  checkedRun({ language: 'python', source, policy, run: () => engine.run({ language: 'python', source }) });

describe('check, then run', () => {
  it('strict: a script with error findings is rejected before it runs', async () => {
    const result = await run('strict');
    expect(result).toMatchObject({ ok: false, stdout: '', error: { kind: 'rejected', line: 3 } });
    expect(result.error?.message).toMatch(/py\/process-spawn/);
    expect(result.findings?.map((f) => [f.rule, f.line])).toEqual([['py/process-spawn', 3]]);
  });

  it('warn: it runs, and the findings come with the result', async () => {
    const result = await run('warn');
    expect(result.stdout.startsWith('ran\n')).toBe(true);
    expect(result.findings?.map((f) => f.rule)).toEqual(['py/process-spawn']);
  });

  it('off, or a clean script: runs without findings', async () => {
    expect((await run('off')).findings).toBeUndefined();
    const clean = await run('strict', 'import json\nprint(json.dumps({"a": 1}))');
    expect([clean.ok, clean.stdout, clean.findings]).toEqual([true, '{"a": 1}\n', undefined]);
  });

  it('the repair hook hands the findings back as text', async () => {
    const verdict = await checkForRepair('python', SPAWNS);
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(/^script:3:1 +error +py\/process-spawn/);
  });

  it('scriptbox run --checks: strict exits 4 with kind rejected, warn runs and prints the findings', async () => {
    writeFileSync(join(dir, 'spawn.py'), SPAWNS);
    const strict = await runCli(['run', 'spawn.py', '--checks', 'strict', '--json'], { cwd: dir });
    expect(strict.code).toBe(4);
    expect(JSON.parse(strict.stdout)).toMatchObject({
      error: { kind: 'rejected' },
      findings: [{ rule: 'py/process-spawn' }],
    });
    const warn = await runCli(['run', 'spawn.py', '--checks', 'warn'], { cwd: dir });
    expect(warn.stdout.startsWith('ran\n')).toBe(true);
    expect(warn.stderr).toMatch(/scriptbox: check 3:\d+ error py\/process-spawn/);
    const bad = await runCli(['run', 'spawn.py', '--checks', 'sometimes'], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});
