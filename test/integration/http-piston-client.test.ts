/** The real third-party Piston client from npm (piston-client), pointed at scriptbox, works unchanged. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { piston } from 'piston-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine } from '../../src/index.js';
import { openLibrary } from '../../src/library/index.js';
import { createGuard } from '../../src/access/guard.js';

interface PistonRun {
  language: string;
  version: string;
  run: { stdout: string; stderr: string; output: string; code: number | null; signal: string | null };
}
interface PistonClient {
  runtimes(): Promise<Array<{ language: string; version: string; aliases: string[] }>>;
  execute(language: string, code: string, config?: Record<string, unknown>): Promise<PistonRun>;
}

let home: string;
let close: () => Promise<void>;
let client: PistonClient;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-piston-client-'));
  const library = openLibrary({ home });
  const engine = await createEngine({ pool: { size: 0 } });
  const app = await createServer({ engine, library, guard: createGuard({ library }) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  close = () => app.close().then(() => undefined);
  client = piston({ server: url }) as PistonClient;
});
afterAll(async () => {
  await close();
  rmSync(home, { recursive: true, force: true });
});

describe('piston-client against scriptbox', () => {
  it('lists runtimes the way Piston does', async () => {
    const runtimes = await client.runtimes();
    const python = runtimes.find((runtime) => runtime.language === 'python');
    expect(python?.version).toMatch(/^3\.\d+\.\d+$/);
    expect(python?.aliases).toContain('py');
  });

  it('executes with the client’s defaults (its args 1 2 3 reach the script) and reports Piston’s shape', async () => {
    const result = await client.execute('python', 'import sys\nprint(sys.argv[1:], 6 * 7)');
    expect(result.language).toBe('python');
    expect(result.run).toMatchObject({ stdout: "['1', '2', '3'] 42\n", stderr: '', code: 0, signal: null });
    expect(result.run.output).toBe("['1', '2', '3'] 42\n");
  });

  it('passes stdin, reports failures and time limits', async () => {
    const echo = await client.execute('bash', 'read -r line; echo "got $line"', { stdin: 'hello\n' });
    expect(echo.run.stdout).toBe('got hello\n');
    const failing = await client.execute('javascript', 'process.exit(3)');
    expect(failing.run.code).toBe(3);
    const slow = await client.execute('python', 'while True: pass', { runTimeout: 300 });
    expect(slow.run.signal).toBe('SIGKILL');
  });
});
