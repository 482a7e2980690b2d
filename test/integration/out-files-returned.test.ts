/**
 * Files a script writes to out/ come back with their content on the library API (one-shot and session
 * runs): small ones inline as base64 with a media type, bigger ones listed without content, and every file
 * the caps or rules drop (a 40 MB file over limits.maxOutBytes, the 101st file over limits.maxOutFiles, a
 * symlink) named in filesSkipped with the reason; the CLI warns about each on stderr. Real sandboxes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { runCli, stdoutJson } from './cli-process.js';

let engine: Engine;
let dir: string;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-out-files-'));
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Writes out/small.csv (text), out/img/tiny.png (binary bytes) and out/mid.bin (2 MiB), printing hashes. */
const WRITER = `
import hashlib, os
os.makedirs("out/img", exist_ok=True)
files = {
    "small.csv": b"a,b\\n1,2\\n",
    "img/tiny.png": bytes(range(256)) * 3,
    "mid.bin": os.urandom(2 * 1024 * 1024),
}
for name, data in files.items():
    with open("out/" + name, "wb") as f:
        f.write(data)
    print(name, hashlib.sha256(data).hexdigest())
`;

function hashes(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}

describe('out/ files in results', () => {
  it('small files come back inline (base64, media type); a 2 MiB one is listed without content', async () => {
    const result = await engine.run({ language: 'python', source: WRITER });
    expect(result.error).toBeNull();
    const written = hashes(result.stdout);
    expect(result.files.map((f) => [f.path, f.bytes, f.mediaType])).toEqual([
      ['img/tiny.png', 768, 'image/png'],
      ['mid.bin', 2 * 1024 * 1024, 'application/octet-stream'],
      ['small.csv', 8, 'text/csv'],
    ]);
    const byPath = new Map(result.files.map((f) => [f.path, f]));
    for (const path of ['img/tiny.png', 'small.csv']) {
      const content = byPath.get(path)?.content;
      expect(content, path).toBeTypeOf('string');
      expect(sha(Buffer.from(content ?? '', 'base64'))).toBe(written.get(path));
    }
    expect(byPath.get('mid.bin')?.content).toBeUndefined();
    expect(result.filesSkipped).toEqual([]);
  });

  it('inlineFiles caps are per run: a higher per-file cap inlines the 2 MiB file, 0 inlines none', async () => {
    const big = await engine.run({
      language: 'python',
      source: WRITER,
      inlineFiles: { maxFileBytes: 4 * 1024 * 1024 },
    });
    const written = hashes(big.stdout);
    const mid = big.files.find((f) => f.path === 'mid.bin');
    expect(sha(Buffer.from(mid?.content ?? '', 'base64'))).toBe(written.get('mid.bin'));
    const none = await engine.run({ language: 'python', source: WRITER, inlineFiles: { maxFileBytes: 0 } });
    expect(none.files.map((f) => f.content)).toEqual([undefined, undefined, undefined]);
    // The total cap: tiny.png (768 bytes) fits 1000, small.csv (8) would still fit, mid.bin does not.
    const total = await engine.run({
      language: 'python',
      source: WRITER,
      inlineFiles: { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 1000 },
    });
    expect(total.files.map((f) => [f.path, f.content !== undefined])).toEqual([
      ['img/tiny.png', true],
      ['mid.bin', false],
      ['small.csv', true],
    ]);
  });

  it('the engine option inlineFiles sets the default; a run overrides it', async () => {
    const strict = await createEngine({ pool: { size: 0 }, inlineFiles: { maxFileBytes: 10 } });
    try {
      const result = await strict.run({ language: 'python', source: WRITER });
      expect(result.files.map((f) => [f.path, f.content !== undefined])).toEqual([
        ['img/tiny.png', false],
        ['mid.bin', false],
        ['small.csv', true],
      ]);
      const own = await strict.run({
        language: 'python',
        source: WRITER,
        inlineFiles: { maxFileBytes: 1000 },
      });
      expect(own.files.filter((f) => f.content !== undefined).map((f) => f.path)).toEqual([
        'img/tiny.png',
        'small.csv',
      ]);
    } finally {
      await strict.close();
    }
  });

  it('a 40 MB file over limits.maxOutBytes is listed in filesSkipped with the reason, not dropped silently', async () => {
    const source = `
with open("out/huge.bin", "wb") as f:
    f.write(b"x" * (40 * 1000 * 1000))
open("out/keep.txt", "w").write("kept")
`;
    const result = await engine.run({ language: 'python', source, limits: { diskMb: 128, memoryMb: 512 } });
    expect(result.error).toBeNull();
    expect(result.files.map((f) => f.path)).toEqual(['keep.txt']);
    expect(result.filesSkipped).toEqual([
      { path: 'huge.bin', reason: '40000000 bytes would pass limits.maxOutBytes (33554432)' },
    ]);
  });

  it('the 101st file over limits.maxOutFiles (100) and a symlink are listed with their reasons', async () => {
    const source = `
import os
for i in range(101):
    open("out/f%03d.txt" % i, "w").write(str(i))
os.symlink("/etc/passwd", "out/passwd-link")
`;
    const result = await engine.run({ language: 'python', source });
    expect(result.error).toBeNull();
    expect(result.files).toHaveLength(100);
    expect(result.files.at(-1)?.path).toBe('f099.txt');
    expect(Buffer.from(result.files[42]?.content ?? '', 'base64').toString()).toBe('42');
    expect(result.filesSkipped).toEqual([
      { path: 'f100.txt', reason: 'over limits.maxOutFiles (100 files)' },
      { path: 'passwd-link', reason: 'symlink; not followed' },
    ]);
  });

  it('session runs return out/ files the same way, inline caps per run', async () => {
    const session = await engine.createSession({ language: 'python' });
    try {
      const first = await session.run({ source: WRITER });
      const written = hashes(first.stdout);
      const csv = first.files.find((f) => f.path === 'small.csv');
      expect(csv?.mediaType).toBe('text/csv');
      expect(sha(Buffer.from(csv?.content ?? '', 'base64'))).toBe(written.get('small.csv'));
      expect(first.files.find((f) => f.path === 'mid.bin')?.content).toBeUndefined();
      const source = 'import os\nos.symlink("/etc/passwd", "out/link")\nopen("out/n.txt", "w").write("n")';
      const second = await session.run({ source, inlineFiles: { maxFileBytes: 0 } });
      expect(second.files.find((f) => f.path === 'n.txt')).toMatchObject({
        bytes: 1,
        mediaType: 'text/plain',
      });
      expect(second.files.every((f) => f.content === undefined)).toBe(true);
      expect(second.filesSkipped).toContainEqual({ path: 'link', reason: 'symlink; not followed' });
    } finally {
      await session.close();
    }
  });
});

describe('scriptbox run warns about out/ files it did not return', () => {
  it('prints one warning per skipped file on stderr, and --json lists them', async () => {
    const script = join(dir, 'skips.py');
    writeFileSync(
      script,
      'import os\nos.symlink("/etc/passwd", "out/link")\nos.mkfifo("out/pipe")\nopen("out/ok.txt", "w").write("ok")\n',
    );
    const run = await runCli(['run', script], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('scriptbox: warning: out/link not returned: symlink; not followed\n');
    expect(run.stderr).toContain('scriptbox: warning: out/pipe not returned: fifo; not followed\n');
    const json = await runCli(['run', '--json', script], { cwd: dir });
    expect(stdoutJson(json)).toMatchObject({
      files: [
        { path: 'ok.txt', bytes: 2, mediaType: 'text/plain', content: Buffer.from('ok').toString('base64') },
      ],
      filesSkipped: [
        { path: 'link', reason: 'symlink; not followed' },
        { path: 'pipe', reason: 'fifo; not followed' },
      ],
    });
  });

  it('sums up when many files are skipped (the 101st to 130th over the file cap)', async () => {
    const script = join(dir, 'many.py');
    writeFileSync(script, 'for i in range(130):\n    open("out/f%03d" % i, "w").write("x")\n');
    const run = await runCli(['run', script], { cwd: dir });
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('scriptbox: warning:'));
    expect(warnings).toEqual([
      'scriptbox: warning: out/f100 not returned: over limits.maxOutFiles (100 files)',
      'scriptbox: warning: out/f101 not returned: over limits.maxOutFiles (100 files)',
      'scriptbox: warning: out/f102 not returned: over limits.maxOutFiles (100 files)',
      'scriptbox: warning: out/f103 not returned: over limits.maxOutFiles (100 files)',
      'scriptbox: warning: 26 more out/ entries not returned (--json lists them in filesSkipped)',
    ]);
    expect(readFileSync(script, 'utf8')).toContain('range(130)'); // the script itself untouched
  });
});
