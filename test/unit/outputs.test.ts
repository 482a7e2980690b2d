import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectOutputs } from '../../src/sandbox/outputs.js';

let tmp: string;
let out: string;
let dest: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scriptbox-outputs-'));
  out = path.join(tmp, 'out');
  dest = path.join(tmp, 'dest');
  fs.mkdirSync(out);
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, data: string | Buffer): void {
  const p = path.join(out, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** Every entry under `root` (never following symlinks), with its kind and content for files. */
function listTree(root: string, prefix = ''): { path: string; kind: string; data?: Buffer }[] {
  const rows: { path: string; kind: string; data?: Buffer }[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const p = path.join(root, name);
    const rel = prefix + name;
    const st = fs.lstatSync(p);
    if (st.isDirectory()) rows.push({ path: rel, kind: 'dir' }, ...listTree(p, `${rel}/`));
    else if (st.isFile()) rows.push({ path: rel, kind: 'file', data: fs.readFileSync(p) });
    else rows.push({ path: rel, kind: st.isSymbolicLink() ? 'symlink' : 'other' });
  }
  return rows;
}

const BIG = { maxFiles: 1000, maxBytes: 1 << 30 };

describe('collectOutputs', () => {
  it('returns nested regular files with exact sizes, sorted by path, and copies them', async () => {
    write('b.txt', 'abc');
    write('a/x.bin', Buffer.alloc(70_000, 7));
    write('a/sub/empty', '');
    write('a-c', 'hello');
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(res.files).toEqual([
      { path: 'a-c', bytes: 5 },
      { path: 'a/sub/empty', bytes: 0 },
      { path: 'a/x.bin', bytes: 70_000 },
      { path: 'b.txt', bytes: 3 },
    ]);
    expect(res.skipped).toEqual([]);
    expect(res.limitHit).toBe(false);
    expect(fs.readFileSync(path.join(dest, 'a/x.bin')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(fs.readFileSync(path.join(dest, 'b.txt'), 'utf8')).toBe('abc');
    expect(fs.statSync(path.join(dest, 'b.txt')).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it('measures sizes without destDir and writes nothing', async () => {
    write('f', '12345');
    const res = await collectOutputs(out, BIG);
    expect(res.files).toEqual([{ path: 'f', bytes: 5 }]);
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('never follows a symlink to a host file, and the secret never reaches destDir', async () => {
    const secret = path.join(tmp, 'secret.txt');
    fs.writeFileSync(secret, 'TOPSECRET-4242');
    fs.symlinkSync(secret, path.join(out, 'abs-leak'));
    fs.symlinkSync('../secret.txt', path.join(out, 'rel-leak'));
    fs.symlinkSync('/etc/passwd', path.join(out, 'passwd'));
    write('ok.txt', 'fine');
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(res.files).toEqual([{ path: 'ok.txt', bytes: 4 }]);
    expect(res.skipped.map((s) => s.path)).toEqual(['abs-leak', 'passwd', 'rel-leak']);
    for (const s of res.skipped) expect(s.reason).toMatch(/symlink/);
    const tree = listTree(dest);
    expect(tree.map((r) => r.path)).toEqual(['ok.txt']);
    for (const r of tree) expect(r.data?.includes('TOPSECRET')).toBe(false);
  });

  it('does not descend into a symlinked directory', async () => {
    const hostDir = path.join(tmp, 'hostdir');
    fs.mkdirSync(hostDir);
    fs.writeFileSync(path.join(hostDir, 'inner.txt'), 'host data');
    fs.symlinkSync(hostDir, path.join(out, 'linked'));
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(res.files).toEqual([]);
    expect(res.skipped).toEqual([{ path: 'linked', reason: expect.stringMatching(/symlink/) as unknown }]);
    expect(listTree(dest)).toEqual([]);
  });

  it('returns nothing when out itself is a symlink, a file, or missing', async () => {
    const real = path.join(tmp, 'real');
    fs.mkdirSync(real);
    fs.writeFileSync(path.join(real, 'x'), 'x');
    const linkOut = path.join(tmp, 'link-out');
    fs.symlinkSync(real, linkOut);
    const viaLink = await collectOutputs(linkOut, { ...BIG, destDir: dest });
    expect(viaLink.files).toEqual([]);
    expect(viaLink.skipped).toHaveLength(1);
    expect(viaLink.skipped[0]?.reason).toMatch(/symlink/);
    expect(listTree(dest)).toEqual([]);

    const fileOut = path.join(tmp, 'file-out');
    fs.writeFileSync(fileOut, 'not a dir');
    const viaFile = await collectOutputs(fileOut, BIG);
    expect(viaFile.files).toEqual([]);
    expect(viaFile.skipped).toEqual([
      { path: '.', reason: expect.stringMatching(/regular file/) as unknown },
    ]);

    const missing = await collectOutputs(path.join(tmp, 'nope'), BIG);
    expect(missing).toEqual({ files: [], skipped: [], limitHit: false });
  });

  it('skips fifos and sockets without hanging', { timeout: 5000 }, async () => {
    execFileSync('mkfifo', [path.join(out, 'pipe')]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(out, 'sock'), resolve));
    try {
      write('real.txt', 'r');
      const res = await collectOutputs(out, { ...BIG, destDir: dest });
      expect(res.files).toEqual([{ path: 'real.txt', bytes: 1 }]);
      expect(res.skipped).toEqual([
        { path: 'pipe', reason: expect.stringMatching(/fifo/) as unknown },
        { path: 'sock', reason: expect.stringMatching(/socket/) as unknown },
      ]);
      expect(listTree(dest).map((r) => r.path)).toEqual(['real.txt']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stops at maxFiles with limitHit and exact counts', async () => {
    for (const n of ['1', '2', '3', '4', '5']) write(`f${n}`, n);
    const res = await collectOutputs(out, { maxFiles: 3, maxBytes: 1000, destDir: dest });
    expect(res.files.map((f) => f.path)).toEqual(['f1', 'f2', 'f3']);
    expect(res.skipped.map((s) => s.path)).toEqual(['f4', 'f5']);
    for (const s of res.skipped) expect(s.reason).toMatch(/maxFiles/);
    expect(res.limitHit).toBe(true);
    expect(listTree(dest).map((r) => r.path)).toEqual(['f1', 'f2', 'f3']);

    const exact = await collectOutputs(out, { maxFiles: 5, maxBytes: 1000 });
    expect(exact.files).toHaveLength(5);
    expect(exact.limitHit).toBe(false);
  });

  it('skips a file that would pass maxBytes, keeps smaller ones, and sets limitHit', async () => {
    write('a', Buffer.alloc(10));
    write('b', Buffer.alloc(20));
    write('c', Buffer.alloc(6));
    const res = await collectOutputs(out, { maxFiles: 10, maxBytes: 16, destDir: dest });
    expect(res.files).toEqual([
      { path: 'a', bytes: 10 },
      { path: 'c', bytes: 6 },
    ]);
    expect(res.skipped).toEqual([{ path: 'b', reason: expect.stringMatching(/maxBytes/) as unknown }]);
    expect(res.limitHit).toBe(true);
    expect(listTree(dest).map((r) => r.path)).toEqual(['a', 'c']);

    const fits = await collectOutputs(out, { maxFiles: 10, maxBytes: 36 });
    expect(fits.limitHit).toBe(false);
    expect(fits.files).toHaveLength(3);
  });

  it('rejects a huge sparse file by its size without reading it', { timeout: 5000 }, async () => {
    const fd = fs.openSync(path.join(out, 'huge'), 'w');
    fs.ftruncateSync(fd, 8 * 1024 ** 3);
    fs.closeSync(fd);
    const res = await collectOutputs(out, { maxFiles: 10, maxBytes: 1 << 20, destDir: dest });
    expect(res.files).toEqual([]);
    expect(res.skipped[0]?.reason).toMatch(/8589934592 bytes would pass maxBytes/);
    expect(listTree(dest)).toEqual([]);
  });

  it('honours maxDepth (explicit and the default of 16)', async () => {
    write('top', '1');
    write('d1/f', '2');
    write('d1/d2/f', '3');
    const res = await collectOutputs(out, { ...BIG, maxDepth: 2 });
    expect(res.files.map((f) => f.path)).toEqual(['d1/f', 'top']);
    expect(res.skipped).toEqual([{ path: 'd1/d2', reason: expect.stringMatching(/maxDepth/) as unknown }]);

    const deep = Array.from({ length: 20 }, (_, i) => `d${i}`);
    for (let n = 1; n <= 20; n++) write([...deep.slice(0, n - 1), `f${n}`].join('/'), 'x');
    const byDefault = await collectOutputs(out, BIG);
    const deepFiles = byDefault.files.filter((f) => /f\d+$/.test(f.path));
    expect(deepFiles).toHaveLength(16);
    expect(Math.max(...deepFiles.map((f) => f.path.split('/').length))).toBe(16);
    expect(byDefault.skipped).toEqual([
      { path: deep.slice(0, 16).join('/'), reason: expect.stringMatching(/maxDepth/) as unknown },
    ]);
  });

  it('does not follow a symlink planted in destDir at a file path', async () => {
    const victim = path.join(tmp, 'victim.txt');
    fs.writeFileSync(victim, 'ORIGINAL');
    fs.mkdirSync(dest);
    fs.symlinkSync(victim, path.join(dest, 'a.txt'));
    write('a.txt', 'HOSTILE');
    write('b.txt', 'fine');
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(fs.readFileSync(victim, 'utf8')).toBe('ORIGINAL');
    expect(res.files).toEqual([{ path: 'b.txt', bytes: 4 }]);
    expect(res.skipped).toEqual([{ path: 'a.txt', reason: expect.stringMatching(/symlink/) as unknown }]);
    expect(fs.lstatSync(path.join(dest, 'a.txt')).isSymbolicLink()).toBe(true);
  });

  it('does not follow a symlink planted in destDir at a directory component', async () => {
    const victimDir = path.join(tmp, 'victim-dir');
    fs.mkdirSync(victimDir);
    fs.mkdirSync(path.join(dest, 'deep'), { recursive: true });
    fs.symlinkSync(victimDir, path.join(dest, 'sub'));
    fs.symlinkSync(victimDir, path.join(dest, 'deep', 'sub'));
    write('sub/x.txt', 'HOSTILE');
    write('deep/sub/y.txt', 'HOSTILE');
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(fs.readdirSync(victimDir)).toEqual([]);
    expect(res.files).toEqual([]);
    expect(res.skipped.map((s) => s.path)).toEqual(['deep/sub/y.txt', 'sub/x.txt']);
    for (const s of res.skipped) expect(s.reason).toMatch(/symlink/);
  });

  it('overwrites a plain file left in destDir but refuses a hard-linked one', async () => {
    const victim = path.join(tmp, 'victim.txt');
    fs.writeFileSync(victim, 'ORIGINAL');
    fs.mkdirSync(dest);
    fs.writeFileSync(path.join(dest, 'old.txt'), 'stale content that is longer');
    fs.linkSync(victim, path.join(dest, 'linked.txt'));
    write('old.txt', 'new');
    write('linked.txt', 'HOSTILE');
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(fs.readFileSync(path.join(dest, 'old.txt'), 'utf8')).toBe('new');
    expect(fs.readFileSync(victim, 'utf8')).toBe('ORIGINAL');
    expect(res.files).toEqual([{ path: 'old.txt', bytes: 3 }]);
    expect(res.skipped).toEqual([
      { path: 'linked.txt', reason: expect.stringMatching(/hard-linked/) as unknown },
    ]);
  });

  it('throws a clear error when destDir is a file or a symlink, and creates a missing one', async () => {
    const file = path.join(tmp, 'file');
    fs.writeFileSync(file, 'x');
    await expect(collectOutputs(out, { ...BIG, destDir: file })).rejects.toThrow(/not a directory/);
    const link = path.join(tmp, 'link');
    fs.mkdirSync(path.join(tmp, 'target'));
    fs.symlinkSync(path.join(tmp, 'target'), link);
    await expect(collectOutputs(out, { ...BIG, destDir: link })).rejects.toThrow(/symlink/);

    write('f', 'x');
    const nested = path.join(tmp, 'new', 'nested', 'dest');
    const res = await collectOutputs(out, { ...BIG, destDir: nested });
    expect(res.files).toEqual([{ path: 'f', bytes: 1 }]);
    expect(fs.readFileSync(path.join(nested, 'f'), 'utf8')).toBe('x');
  });

  it('round-trips names with spaces, dots and UTF-8', async () => {
    const names = [
      'with space.txt',
      '..dots',
      '...',
      ' lead',
      'dir with space/file 2',
      '..d/..x',
      'été/図.png',
    ];
    for (const [i, n] of names.entries()) write(n, `content ${i}`);
    const res = await collectOutputs(out, { ...BIG, destDir: dest });
    expect(res.skipped).toEqual([]);
    expect(res.files.map((f) => f.path)).toEqual([...names].sort());
    for (const [i, n] of names.entries()) {
      expect(fs.readFileSync(path.join(dest, n), 'utf8')).toBe(`content ${i}`);
    }
    expect(fs.readdirSync(tmp).sort()).toEqual(['dest', 'out']);
  });

  it('drops names with control characters or bidi overrides: not listed, not written, reported escaped', async () => {
    write('ok.txt', 'fine');
    write('new\nline', 'a');
    write('tab\there', 'b');
    write('\x1b]52;c;ZXZpbA==\x07.txt', 'c');
    write('c1\u009b31m', 'd');
    write('gnp\u202e.exe', 'e');
    write('bad\rdir/inner.txt', 'f');
    for (const destDir of [dest, undefined]) {
      const res = await collectOutputs(out, { ...BIG, ...(destDir ? { destDir } : {}) });
      expect(res.files).toEqual([{ path: 'ok.txt', bytes: 4 }]);
      const reason = 'name has control characters; not collected';
      expect(res.skipped).toEqual(
        [
          'new\\x0aline',
          'tab\\x09here',
          '\\x1b]52;c;ZXZpbA==\\x07.txt',
          'c1\\u009b31m',
          'gnp\\u202e.exe',
          'bad\\x0ddir',
        ]
          .map((p) => ({ path: p, reason }))
          .sort((a, b) => (a.path < b.path ? -1 : 1)),
      );
      expect(res.limitHit).toBe(false);
    }
    // Only the clean name reached the host.
    expect(listTree(dest).map((row) => row.path)).toEqual(['ok.txt']);
  });

  it('counts hard links inside out as separate files', async () => {
    write('a', 'same');
    fs.linkSync(path.join(out, 'a'), path.join(out, 'b'));
    const res = await collectOutputs(out, { maxFiles: 10, maxBytes: 6 });
    expect(res.files).toEqual([{ path: 'a', bytes: 4 }]);
    expect(res.limitHit).toBe(true);
  });

  it('bounds the walk by maxEntries and the skipped list by 1000 entries', async () => {
    for (let i = 0; i < 50; i++) write(`f${String(i).padStart(2, '0')}`, 'x');
    const res = await collectOutputs(out, { ...BIG, maxEntries: 10 });
    expect(res.files).toHaveLength(10);
    expect(res.limitHit).toBe(true);
    expect(res.skipped).toEqual([{ path: '.', reason: expect.stringMatching(/maxEntries/) as unknown }]);

    fs.rmSync(out, { recursive: true });
    fs.mkdirSync(out);
    for (let i = 0; i < 1200; i++) fs.symlinkSync('/etc/passwd', path.join(out, `l${i}`));
    const many = await collectOutputs(out, BIG);
    expect(many.skipped).toHaveLength(1001);
    expect(many.skipped.at(-1)).toEqual({ path: '.', reason: '200 more not listed' });
  });
});
