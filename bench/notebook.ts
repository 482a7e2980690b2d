/**
 * Notebook-like use, side by side with a Jupyter kernel (Debian's python3-ipykernel, no isolation at all,
 * driven by jupyter_client: bench/jupyter_kernel.py): `print(1)`, and a pandas read_csv + describe + corr
 * of a 10,000-row CSV, in a warm stateful session and a warm kernel, both with pandas imported. Rounds
 * alternate the two; each figure is the client's round trip (Jupyter's measured in its own client, so the
 * pipe to the bench is not billed to it). Skipped, with the reason, when the kernel packages are missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Engine, Session } from '../src/index.js';
import { ratio, tenThousandRows } from './sessions.js';
import { summarize } from './stats.js';

const PYTHON = '/usr/bin/python3';
const CELLS = {
  print: 'print(1)',
  pandas: 'df = pd.read_csv("data.csv")\nprint(df.describe().to_json())\nprint(df.corr().to_json())',
} as const;
type Cell = keyof typeof CELLS;

interface Kernel {
  run(cell: Cell): Promise<number>;
  close(): void;
}

/** The Jupyter driver, ready; null with the reason when the kernel cannot start here. */
async function startKernel(dir: string): Promise<Kernel | string> {
  const child = spawn(PYTHON, [join(import.meta.dirname, 'jupyter_kernel.py'), dir], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { PATH: '/usr/bin:/bin', HOME: dir, PYDEVD_DISABLE_FILE_VALIDATION: '1' },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    return line.done === true ? 'error "the kernel driver exited"' : line.value;
  };
  const first = await next();
  if (first !== 'ready') {
    child.kill();
    return `no Jupyter kernel (install python3-ipykernel and python3-jupyter-client; ./scripts/setup.sh does): ${first}`;
  }
  return {
    run: async (cell) => {
      child.stdin.write(`${cell}\n`);
      const answer = await next();
      if (!answer.startsWith('ok ')) throw new Error(`the Jupyter kernel failed: ${answer}`);
      return Number(answer.slice(3));
    },
    close: () => {
      child.stdin.end();
    },
  };
}

async function timed(session: Session, source: string): Promise<number> {
  const started = performance.now();
  const result = await session.run({ source });
  const ms = performance.now() - started;
  if (!result.ok) throw new Error(`session run failed: ${JSON.stringify(result.error)} ${result.stderr}`);
  return ms;
}

export async function benchNotebook(engine: Engine, rounds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'scriptbox-bench-notebook-'));
  const csv = tenThousandRows();
  writeFileSync(join(dir, 'data.csv'), csv);
  const kernel = await startKernel(dir);
  if (typeof kernel === 'string') {
    rmSync(dir, { recursive: true, force: true });
    return { skipped: kernel };
  }
  const session = await engine.createSession({ language: 'python', preload: ['pandas'] });
  try {
    await session.uploadFile('data.csv', csv);
    await timed(session, 'import pandas as pd');
    const samples: Record<string, number[]> = {
      jupyterPrint: [],
      scriptboxPrint: [],
      jupyterPandas: [],
      scriptboxPandas: [],
    };
    const warmup = 5;
    for (let round = 0; round < warmup + rounds; round++) {
      const keep = round >= warmup;
      for (const cell of ['print', 'pandas'] as const) {
        const jupyter = await kernel.run(cell);
        const ours = await timed(session, CELLS[cell]);
        if (!keep) continue;
        const name = cell === 'print' ? 'Print' : 'Pandas';
        samples[`jupyter${name}`]?.push(jupyter);
        samples[`scriptbox${name}`]?.push(ours);
      }
    }
    const s = Object.fromEntries(
      Object.entries(samples).map(([name, values]) => [name, summarize(name, values)]),
    );
    return {
      print1: {
        jupyterKernel: s['jupyterPrint'],
        scriptboxSession: s['scriptboxPrint'],
        ratioVsJupyterP50: ratio(s['scriptboxPrint'], s['jupyterPrint']),
      },
      pandasDescribeCorr10kRows: {
        jupyterKernel: s['jupyterPandas'],
        scriptboxSession: s['scriptboxPandas'],
        ratioVsJupyterP50: ratio(s['scriptboxPandas'], s['jupyterPandas']),
      },
      target: 'ratio <= 1 on both (no slower than an unsandboxed Jupyter kernel)',
    };
  } finally {
    kernel.close();
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
