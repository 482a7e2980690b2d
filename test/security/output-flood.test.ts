/**
 * Attack class: output flood. The script writes without end to stdout, to stderr, to both at once, from a
 * background process, and with multi-byte characters that straddle the cap.
 * Host-side assertions: the run is stopped (kind output_limit) long before its wall-clock limit, the
 * output is flagged truncated, and what the host kept is exactly maxOutputBytes bytes, never more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { LANGS, newEngine, run, type Lang } from './support.js';

const CAP = 4096;

const FLOODS: Record<Lang, { stdout: string; stderr: string; both: string; background: string }> = {
  python: {
    stdout: 'import sys\nwhile True:\n    sys.stdout.write("A" * 65536)\n',
    stderr: 'import sys\nwhile True:\n    sys.stderr.write("E" * 65536)\n',
    both: 'import sys\nwhile True:\n    sys.stdout.write("A" * 1000)\n    sys.stderr.write("E" * 1000)\n',
    background: `
import subprocess, time
subprocess.Popen(["/usr/bin/yes", "AAAAAAAAAAAAAAAA"], start_new_session=True)
time.sleep(30)
`,
  },
  javascript: {
    stdout: "const s = 'A'.repeat(65536);\nfor (;;) require('fs').writeSync(1, s);\n",
    stderr: "const s = 'E'.repeat(65536);\nfor (;;) require('fs').writeSync(2, s);\n",
    both: "const fs = require('fs');\nfor (;;) { fs.writeSync(1, 'A'.repeat(1000)); fs.writeSync(2, 'E'.repeat(1000)); }\n",
    background: `
require('child_process').spawn('/usr/bin/yes', ['AAAAAAAAAAAAAAAA'], { detached: true, stdio: 'inherit' }).unref();
setTimeout(() => {}, 30000);
`,
  },
  bash: {
    stdout: 'yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n',
    stderr: 'yes EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE >&2\n',
    both: 'yes AAAAAAAAAAAAAAAA & yes EEEEEEEEEEEEEEEE >&2 & wait\n',
    background: '( setsid yes AAAAAAAAAAAAAAAA & )\nsleep 30\n',
  },
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

function expectStopped(result: Awaited<ReturnType<typeof run>>): void {
  expect(result.ok).toBe(false);
  expect(result.error?.kind).toBe('output_limit');
  // Stopped for its output, long before the wall-clock limit.
  expect(result.hostWallMs).toBeLessThan(4_500);
}

describe.each(LANGS)('output flood (%s)', (lang) => {
  const limits = { maxOutputBytes: CAP, timeoutMs: 5_000 };

  it('a stdout flood is stopped and cut at exactly maxOutputBytes', async () => {
    const result = await run(engine, { language: lang, source: FLOODS[lang].stdout, limits });
    expectStopped(result);
    expect(result.truncated.stdout).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBe(CAP);
    expect(result.stdout).toMatch(/^A+/);
  });

  it('a stderr flood is stopped and cut at exactly maxOutputBytes', async () => {
    const result = await run(engine, { language: lang, source: FLOODS[lang].stderr, limits });
    expectStopped(result);
    expect(result.truncated.stderr).toBe(true);
    expect(Buffer.byteLength(result.stderr)).toBe(CAP);
  });

  it('flooding stdout and stderr together keeps each within maxOutputBytes', async () => {
    const result = await run(engine, { language: lang, source: FLOODS[lang].both, limits });
    expectStopped(result);
    expect(result.truncated.stdout || result.truncated.stderr).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(CAP);
    expect(Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(CAP);
  });

  it('a flood from a detached background process is stopped too', async () => {
    const result = await run(engine, { language: lang, source: FLOODS[lang].background, limits });
    expectStopped(result);
    expect(result.truncated.stdout).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBe(CAP);
  });
});

describe('output flood with multi-byte characters (python)', () => {
  it('never returns more than maxOutputBytes bytes when the cap falls inside a character', async () => {
    // 3-byte characters: 4096 is not a multiple of 3, so the cap cuts one in two.
    const result = await run(engine, {
      language: 'python',
      source: 'import sys\nwhile True:\n    sys.stdout.write("\\u20ac" * 10000)\n',
      limits: { maxOutputBytes: CAP, timeoutMs: 5_000 },
    });
    expectStopped(result);
    expect(result.truncated.stdout).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(CAP);
  });
});
