/**
 * `npm run bench`: figures as JSON on stdout, each against a baseline measured side by side in the same run.
 *   trivial Python: scriptbox engine (what `scriptbox run` uses) vs bare `/usr/bin/python3 -c pass`
 *   and vs bare bubblewrap running the same, so the sandbox's own cost is visible.
 */
import { spawn } from 'node:child_process';
import { cpus, release } from 'node:os';
import { createEngine } from '../src/index.js';
import { interleave } from './stats.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 60);
const PYTHON = '/usr/bin/python3';

function spawnAndWait(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', env: {} });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

const BARE_BWRAP = [
  '--unshare-all',
  '--die-with-parent',
  '--ro-bind',
  '/usr',
  '/usr',
  '--symlink',
  'usr/lib',
  '/lib',
  '--symlink',
  'usr/lib64',
  '/lib64',
  '--symlink',
  'usr/bin',
  '/bin',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
  PYTHON,
  '-c',
  'pass',
];

async function main(): Promise<void> {
  const engine = await createEngine();
  try {
    const trivial = await interleave(
      {
        barePython: () => spawnAndWait(PYTHON, ['-c', 'pass']),
        bareBwrapPython: () => spawnAndWait('bwrap', BARE_BWRAP),
        scriptboxPython: async () => {
          const result = await engine.run({ language: 'python', source: 'pass' });
          if (!result.ok) throw new Error(`scriptbox run failed: ${JSON.stringify(result.error)}`);
        },
      },
      ROUNDS,
    );
    const { barePython, bareBwrapPython, scriptboxPython } = trivial;
    if (!barePython || !bareBwrapPython || !scriptboxPython) throw new Error('missing samples');
    const report = {
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        kernel: release(),
        node: process.version,
      },
      trivialPythonRun: {
        ...trivial,
        ratioVsBarePythonP50: round(scriptboxPython.p50Ms / barePython.p50Ms),
        overheadVsBareBwrapP50Ms: round(scriptboxPython.p50Ms - bareBwrapPython.p50Ms),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await engine.close();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
