/**
 * `scriptbox demo`: the main job for now. Runs the example scripts of demo-scripts.ts, each in a fresh
 * sandbox, and prints its title, output and result; exits 0 only when every one behaved as expected
 * (the everyday scripts worked and the escape attempts were stopped).
 */
import { createServer, type Server } from 'node:net';
import { Command } from 'commander';
import { createEngine, type Engine } from '../../engine/engine.js';
import type { RunResult } from '../../engine/result.js';
import { DEMO_SCRIPTS, type DemoHost, type DemoScript } from './demo-scripts.js';
import { writeText } from './io.js';
import { formatSummary } from './summary.js';

export function demoCommand(setExitCode: (code: number) => void): Command {
  return new Command('demo')
    .description('run a few example scripts in the sandbox, including some that try to escape')
    .action(async () => {
      setExitCode((await runDemos()) ? 0 : 1);
    });
}

/** Runs every demo; true when all behaved as expected. */
export async function runDemos(out: NodeJS.WritableStream = process.stdout): Promise<boolean> {
  const engine = await createEngine({ pool: { size: 0 } });
  let listener: HostListener | null = null;
  let passed = 0;
  try {
    const host = (listener = await HostListener.start());
    await writeText(out, `scriptbox demo: ${DEMO_SCRIPTS.length} example scripts, each in a fresh sandbox\n`);
    for (const [index, demo] of DEMO_SCRIPTS.entries()) {
      await writeText(out, `\n[${index + 1}/${DEMO_SCRIPTS.length}] ${demo.title}\n`);
      const result = await runDemo(engine, demo, host);
      const problems = judge(demo, result, host);
      if (problems.length === 0) passed += 1;
      await writeText(out, renderDemo(demo, result, problems));
    }
  } finally {
    await Promise.allSettled([engine.close(), listener?.close()]);
  }
  const all = passed === DEMO_SCRIPTS.length;
  await writeText(
    out,
    `\n${passed}/${DEMO_SCRIPTS.length} demos behaved as expected${all ? '.' : ': see the ✗ lines above.'}\n`,
  );
  return all;
}

function runDemo(engine: Engine, demo: DemoScript, host: DemoHost): Promise<RunResult> {
  return engine.run({
    language: demo.language,
    source: typeof demo.source === 'string' ? demo.source : demo.source(host),
    ...(demo.files ? { files: demo.files } : {}),
    ...(demo.limits ? { limits: demo.limits } : {}),
  });
}

/** Every way the run differs from what the demo expects. */
function judge(demo: DemoScript, result: RunResult, host: DemoHost): string[] {
  const problems: string[] = [];
  const kind = result.error?.kind ?? null;
  if (kind !== demo.expectKind) problems.push(`expected ${demo.expectKind ?? 'ok'}, got ${kind ?? 'ok'}`);
  for (const text of demo.expectStdout ?? []) {
    if (!result.stdout.includes(text)) problems.push(`stdout lacks "${text}"`);
  }
  for (const text of demo.forbidStdout ?? []) {
    if (result.stdout.includes(text)) problems.push(`stdout shows "${text}"`);
  }
  const hostProblem = demo.hostCheck?.(host);
  if (hostProblem) problems.push(hostProblem);
  return problems;
}

function renderDemo(demo: DemoScript, result: RunResult, problems: string[]): string {
  const files = demo.files?.length ? ` · input ${demo.files.map((f) => f.name).join(', ')}` : '';
  const lines = [`    ${demo.language}${files} · expects ${demo.expectKind ?? 'ok'}`];
  const show = (text: string, mark: string): void => {
    if (text === '') return;
    for (const line of text.replace(/\n$/, '').split('\n')) lines.push(`  ${mark} ${line}`.trimEnd());
  };
  show(result.stdout, '│');
  show(result.stderr, '!');
  const verdict = problems.length === 0 ? '✓ as expected' : `✗ ${problems.join('; ')}`;
  lines.push(`  → ${formatSummary(result)}`, `  ${verdict}`);
  return `${lines.join('\n')}\n`;
}

/** A TCP listener on the host's loopback: the network demo must not reach it. */
class HostListener implements DemoHost {
  private count = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.count += 1;
      socket.destroy();
    });
  }

  static start(): Promise<HostListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(new HostListener(server, typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
  }

  connections(): number {
    return this.count;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
