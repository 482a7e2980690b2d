/** Session benchmarks for `npm run bench`: each figure next to its baseline, measured in the same rounds. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, Session } from '../src/index.js';
import { interleave, summarize, type Summary } from './stats.js';

const PYTHON = '/usr/bin/python3';
const PANDAS_SCRIPT =
  'import pandas as pd\ndf = pd.read_csv("data.csv")\nprint(df.describe().to_json())\nprint(df.corr().to_json())\n';

export function spawnAndWait(file: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', env: {}, ...(cwd ? { cwd } : {}) });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

async function ok(session: Session, source: string): Promise<void> {
  const result = await session.run({ source });
  if (!result.ok) throw new Error(`session run failed: ${JSON.stringify(result.error)}`);
}

/** A 10,000-row CSV of four numeric columns, the same every run. */
export function tenThousandRows(): string {
  const lines = ['a,b,c,d'];
  let x = 1;
  for (let i = 0; i < 10_000; i++) {
    x = (x * 48_271) % 2_147_483_647;
    lines.push(`${i},${x % 1000},${(x % 977) / 7},${(i * 31) % 101}`);
  }
  return `${lines.join('\n')}\n`;
}

export function ratio(ours: Summary | undefined, base: Summary | undefined): number {
  if (!ours || !base) throw new Error('missing samples');
  return Math.round((ours.p50Ms / base.p50Ms) * 1000) / 1000;
}

export async function benchSessions(engine: Engine, rounds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-'));
  const csv = tenThousandRows();
  writeFileSync(join(dir, 'data.csv'), csv);
  writeFileSync(join(dir, 'script.py'), PANDAS_SCRIPT);
  const plain = await engine.createSession({ language: 'python' });
  const pandas = await engine.createSession({ language: 'python', preload: ['pandas'] });
  try {
    await pandas.uploadFile('data.csv', csv);
    const trivial = await interleave(
      { barePython: () => spawnAndWait(PYTHON, ['-c', 'pass']), sessionPython: () => ok(plain, 'pass') },
      rounds,
    );
    const pandasRuns = await interleave(
      {
        barePythonScript: () => spawnAndWait(PYTHON, ['script.py'], dir),
        sessionPandasScript: () => ok(pandas, PANDAS_SCRIPT),
      },
      Math.max(10, Math.floor(rounds / 3)),
      3,
    );
    return {
      trivialPythonInSession: {
        ...trivial,
        ratioVsBarePythonP50: ratio(trivial['sessionPython'], trivial['barePython']),
        target: '<= 0.3',
      },
      pandasDescribeCorr10kRows: {
        ...pandasRuns,
        ratioVsBarePythonScriptP50: ratio(pandasRuns['sessionPandasScript'], pandasRuns['barePythonScript']),
        target: '<= 0.1',
      },
      throughput: await throughput(engine, 'fresh'),
      throughputStateful: await throughput(engine, 'stateful'),
    };
  } finally {
    await Promise.all([plain.close(), pandas.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Trivial isolated runs on all cores at once: each a fresh process in its session's sandbox (`fresh`, the
 * target), or each a fork of its session's state (`stateful`, reported next to it).
 */
async function throughput(engine: Engine, state: 'fresh' | 'stateful'): Promise<Record<string, unknown>> {
  const sessions = await Promise.all(
    Array.from({ length: 4 }, () => engine.createSession({ language: 'python', state })),
  );
  const runsPerSession = 250;
  const latencies: number[] = [];
  try {
    const started = performance.now();
    await Promise.all(
      sessions.map(async (session) => {
        for (let i = 0; i < runsPerSession; i++) {
          const t = performance.now();
          await ok(session, 'pass');
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      sessions: sessions.length,
      runs: latencies.length,
      runsPerSecond: Math.round(latencies.length / seconds),
      latency: summarize('trivialRunUnderLoad', latencies),
      ...(state === 'fresh' ? { target: '>= 400 runs/s' } : {}),
    };
  } finally {
    await Promise.all(sessions.map((session) => session.close()));
  }
}
