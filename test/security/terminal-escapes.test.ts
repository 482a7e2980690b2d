/**
 * Terminal escapes in a script's output (and in the names of files it writes). A script that prints
 * `ESC ] 52 ; c ; <base64> BEL` writes the user's clipboard in most terminals (OSC 52); others retitle the
 * window, move the cursor or hide text. The CLI shows such characters escaped when it writes to a terminal
 * (src/faces/cli/terminal-safe.ts); `--raw` keeps them, and a pipe always gets the exact bytes. The
 * terminal is a real pseudo-terminal from util-linux `script`.
 *
 * Host-side facts: the bytes that reached the pseudo-terminal hold no ESC, BEL or C1 control; the control
 * (`--raw` through the same terminal) shows the script really printed them. Names with control characters
 * never become files on the host.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../integration/cli-process.js';
import { hostTempDir, newEngine, readTree, run } from './support.js';
import type { Engine } from '../../src/index.js';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const OSC52 = '\x1b]52;c;ZXZpbA==\x07';
const SHOWN = '\\x1b]52;c;ZXZpbA==\\x07';
/** Terminal commands a script may try: clipboard, window title, clear + cursor home, 8-bit CSI, overwrite. */
const EVIL_PY = `import sys
sys.stdout.write("before${'\\x1b'}]52;c;ZXZpbA==${'\\x07'}after\\n")
sys.stdout.write("\\x1b]0;pwned-title\\x07\\x1b[2J\\x1b[H\\u009b31mC1\\n")
sys.stdout.write("safe\\rEVIL\\n")
sys.stderr.write("err\\x1b]52;c;ZXZpbA==\\x07\\n")
`;

const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Runs `scriptbox <args>` with stdin, stdout and stderr on a fresh pseudo-terminal; all it wrote there. */
function runOnTerminal(args: string[], cwd: string): Promise<{ code: number | null; bytes: Buffer }> {
  const command = [process.execPath, '--import', TSX, MAIN, ...args].map(quote).join(' ');
  // -q: no banner; -e: the command's exit code; -c: the command; /dev/null: no typescript file.
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: { ...process.env, TERM: 'xterm-256color' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, bytes: Buffer.concat(chunks) }));
  });
}

/** Bytes a terminal takes as commands: C0 but LF, TAB and CR-before-LF; DEL; C1 (as UTF-8 C2 80-9F). */
function terminalCommands(bytes: Buffer): string[] {
  const text = bytes.toString('latin1').replaceAll('\r\n', '\n');
  const found = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if ((code < 0x20 && code !== 0x0a && code !== 0x09) || code === 0x7f) found.add(text.charAt(i));
    else if (code === 0xc2 && next >= 0x80 && next <= 0x9f) found.add(text.slice(i, i + 2));
  }
  return [...found].map((ch) => JSON.stringify(ch));
}

let dir: string;
beforeAll(() => {
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  expect(
    script.status,
    'util-linux `script` is needed for a pseudo-terminal (apt-get install util-linux)',
  ).toBe(0);
  dir = hostTempDir('scriptbox-term-');
  fs.writeFileSync(path.join(dir, 'evil.py'), EVIL_PY);
  fs.writeFileSync(path.join(dir, 'items.jsonl'), '1\n2\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('terminal escapes in script output (CLI)', () => {
  it('scriptbox run on a terminal: every control character arrives escaped, none as a command', async () => {
    const { code, bytes } = await runOnTerminal(['run', 'evil.py'], dir);
    const shown = bytes.toString('utf8');
    expect(code).toBe(0);
    expect(terminalCommands(bytes)).toEqual([]);
    expect(shown).toContain(`before${SHOWN}after`);
    expect(shown).toContain('\\x1b]0;pwned-title\\x07\\x1b[2J\\x1b[H\\u009b31mC1');
    expect(shown).toContain('safe\\x0dEVIL');
    expect(shown).toContain(`err${SHOWN}`);
    expect(shown).toContain('scriptbox: ok');
  });

  it('control: with --raw on the same terminal the script really printed the escapes', async () => {
    const { code, bytes } = await runOnTerminal(['run', 'evil.py', '--raw'], dir);
    const shown = bytes.toString('utf8');
    expect(code).toBe(0);
    expect(shown).toContain(`before${OSC52}after`);
    expect(shown).toContain('\x1b]0;pwned-title\x07');
    expect(shown).toContain('\u009b31mC1');
    expect(shown).toContain(`err${OSC52}`);
    expect(terminalCommands(bytes)).toContain(JSON.stringify('\x1b'));
  });

  it('scriptbox batch on a terminal escapes the outputs too; --raw keeps them', async () => {
    const escaped = await runOnTerminal(['batch', 'evil.py', '--items', 'items.jsonl'], dir);
    expect(escaped.code).toBe(0);
    // The progress bar draws itself with `\r` and erase-line (`ESC [ K`), and is cleared before the outputs.
    const text = escaped.bytes.toString('latin1');
    const afterBar = text.slice(text.lastIndexOf('\r\x1b[K') + '\r\x1b[K'.length);
    expect(afterBar).toContain('[0] before');
    expect(terminalCommands(Buffer.from(afterBar, 'latin1'))).toEqual([]);
    expect(escaped.bytes.toString('utf8')).toContain(`[1] before${SHOWN}after`);
    expect(escaped.bytes.toString('utf8')).not.toContain(OSC52);
    const raw = await runOnTerminal(['batch', 'evil.py', '--items', 'items.jsonl', '--raw'], dir);
    expect(raw.bytes.toString('utf8')).toContain(`[1] before${OSC52}after`);
  });

  it('piped (not a terminal): the exact bytes, so redirecting to a file keeps what the script printed', async () => {
    const piped = await runCli(['run', 'evil.py'], { cwd: dir });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(
      `before${OSC52}after\n\x1b]0;pwned-title\x07\x1b[2J\x1b[H\u009b31mC1\nsafe\rEVIL\n`,
    );
    expect(piped.stderr).toContain(`err${OSC52}\n`);
  });

  it('--json is JSON: the escapes travel as \\u001b inside strings', async () => {
    const json = await runCli(['run', 'evil.py', '--json'], { cwd: dir });
    expect(json.stdout).not.toContain('\x1b');
    expect(json.stdout).toContain('before\\u001b]52;c;ZXZpbA==\\u0007after');
    expect((JSON.parse(json.stdout) as { stdout: string }).stdout).toContain(`before${OSC52}after`);
  });
});

describe('names of out/ files with control characters (engine)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await newEngine();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('are neither returned nor written to the host outDir; clean names still are', async () => {
    const outDir = path.join(hostTempDir('scriptbox-term-out-'), 'out');
    try {
      const result = await run(engine, {
        language: 'python',
        source: `import os
names = ["\\x1b]52;c;ZXZpbA==\\x07.txt", "\\x1b]0;title\\x07", "two\\nlines.txt", "tab\\t.csv",
         "c1\\u009b.txt", "gnp\\u202e.exe", "ok.txt"]
for name in names:
    with open("out/" + name, "w") as f:
        f.write("x")
os.makedirs("out/dir\\x1b[2J", exist_ok=True)
with open("out/dir\\x1b[2J/inner.txt", "w") as f:
    f.write("y")
print(len(os.listdir("out")), "PLANTED")
`,
        outDir,
      });
      // The script really created all of them inside the sandbox.
      expect(result.stdout, result.stderr).toBe('8 PLANTED\n');
      expect(result.files).toEqual([
        { path: 'ok.txt', bytes: 1, mediaType: 'text/plain', content: Buffer.from('x').toString('base64') },
      ]);
      expect(readTree(outDir).map((entry) => entry.rel)).toEqual(['ok.txt']);
    } finally {
      fs.rmSync(path.dirname(outDir), { recursive: true, force: true });
    }
  });
});
