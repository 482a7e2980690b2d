import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/faces/cli/check.js';
import { runCli } from '../integration/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'scriptbox-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('scriptbox check', () => {
  it('prints file:line:col  severity  rule  message lines and a summary; exit 4 when blocked', async () => {
    const path = file('bad.py', 'import os as o\no.system("id")\nimport multiprocessing\n');
    const run = await runCli(['check', path], { cwd: dir });
    expect(run.code).toBe(4);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]?.startsWith(`${path}:2:1  error    py/process-spawn  \`o.system\` (os.system): `)).toBe(
      true,
    );
    expect(lines[1]?.startsWith(`${path}:3:8  warning  py/multiprocessing  `)).toBe(true);
    expect(lines[2]).toBe(`${path}: 1 error, 1 warning; blocked: a run would be rejected before it starts`);
  });

  it('--json prints exactly one CheckReport; --policy warn does not block (exit 0)', async () => {
    const path = file('bad.sh', 'curl https://example.com\n');
    const run = await runCli(['check', path, '--json', '--policy', 'warn'], { cwd: dir });
    expect(run.code).toBe(0);
    const report: unknown = JSON.parse(run.stdout);
    expect(report).toEqual({
      policy: 'warn',
      blocked: false,
      findings: [expect.objectContaining({ rule: 'sh/network', severity: 'error', line: 1, column: 1 })],
    });
  });

  it('--network lifts the network rules; --lang reads stdin', async () => {
    const run = await runCli(['check', '-', '--lang', 'js', '--network'], {
      cwd: dir,
      stdin: 'const r = await fetch("https://example.com");\n',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('<stdin>: 0 errors, 0 warnings; not blocked\n');
  });

  it('exits 2 on usage errors: bad policy, unknown extension, missing file', async () => {
    const path = file('ok.py', 'print(1)\n');
    for (const args of [
      ['check', path, '--policy', 'lenient'],
      ['check', file('script.rb', 'puts 1')],
      ['check', join(dir, 'missing.py')],
      ['check', '-'],
    ]) {
      const run = await runCli(args, { cwd: dir });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(/^scriptbox: /);
    }
  });

  it('renders policy off and non-blocking errors clearly', () => {
    expect(renderReport('x.py', { policy: 'off', blocked: false, findings: [] })).toBe(
      'x.py: not checked (--policy off)\n',
    );
    const finding = { rule: 'py/ffi', severity: 'error' as const, message: 'm', line: 1, column: 1 };
    expect(renderReport('x.py', { policy: 'warn', blocked: false, findings: [finding] })).toBe(
      'x.py:1:1  error    py/ffi  m\nx.py: 1 error, 0 warnings; not blocked (--policy warn)\n',
    );
  });
});
