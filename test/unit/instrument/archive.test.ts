/**
 * Uploaded archives (src/workflows/instrument/archive): tar, tar.gz and zip round trips (ours and the
 * system's tar and zip), and every refusal with its status and a message saying what to change: traversal,
 * absolute paths, links and devices, duplicates, control characters, depth, too many files, too large,
 * gzip and zip bombs (stopped while inflating), corrupt and unknown formats.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasControlChars } from '../../../src/control-chars.js';
import { ERROR_TABLE, ScriptboxError } from '../../../src/errors.js';
import {
  detectFormat,
  extractArchive,
  packTree,
  unpackArchive,
  type ArchiveLimits,
} from '../../../src/workflows/instrument/archive/index.js';
import { writeTar, type TarEntry } from '../../../src/workflows/instrument/archive/tar.js';
import { writeZip } from '../../../src/workflows/instrument/archive/zip.js';

let dir: string;
let n = 0;
const fresh = (): string => {
  const path = join(dir, `t${n++}`);
  mkdirSync(path);
  return path;
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-archive-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (path: string, text: string | Buffer, mode = 0o644): TarEntry => ({
  path,
  dir: false,
  data: Buffer.from(text),
  mode,
  mtime: 1_700_000_000,
});
const folder = (path: string): TarEntry => ({ path, dir: true, mode: 0o755, mtime: 1_700_000_000 });

/** A raw tar header block (any type, name, link target) followed by `data`, for archives our writer never makes. */
function rawEntry(name: string, type: string, data = Buffer.alloc(0), linkname = ''): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write(type, 156, 'latin1');
  header.write(linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad]);
}
const tarOf = (...blocks: Buffer[]): Buffer => Buffer.concat([...blocks, Buffer.alloc(1024)]);

/** The refusal `promise` ends with: its code, HTTP status and message. */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptboxError);
    const { code, message } = error as ScriptboxError;
    return { code, status: ERROR_TABLE[code].http, message };
  }
  throw new Error('expected a refusal');
}

const TREE: TarEntry[] = [
  folder('pkg'),
  file('pkg/__init__.py', ''),
  file('pkg/shop.py', 'def add(a, b):\n    return a + b\n'),
  file('run.sh', '#!/bin/sh\necho hi\n', 0o755),
  file('README.md', 'héllo wörld\n'),
  file(`${'deep/'.repeat(25)}long-name-${'x'.repeat(120)}.py`, 'x = 1\n'),
];

describe('round trip', () => {
  it.each(['tar', 'tar.gz', 'zip'] as const)(
    'reads what it writes as %s, bytes and modes kept',
    async (format) => {
      const tar = writeTar(TREE);
      const bytes = format === 'zip' ? await writeZip(TREE) : format === 'tar.gz' ? gzipSync(tar) : tar;
      expect(detectFormat(bytes)).toBe(format);
      const out = fresh();
      const extracted = await extractArchive(bytes, out);
      expect(extracted).toMatchObject({ format, files: 5 });
      for (const entry of TREE.filter((e) => !e.dir)) {
        expect(readFileSync(join(out, entry.path)), entry.path).toEqual(entry.data);
        expect(statSync(join(out, entry.path)).mode & 0o111, entry.path).toBe(entry.mode & 0o111);
      }
      // And back: the packed tree unpacks to the same files.
      const again = fresh();
      await extractArchive(await packTree(out, format === 'zip' ? 'zip' : 'tar.gz'), again);
      for (const entry of TREE.filter((e) => !e.dir))
        expect(readFileSync(join(again, entry.path)), entry.path).toEqual(entry.data);
    },
  );

  it("reads the system's tar.gz and zip, and the system's tar and unzip read ours", async () => {
    const src = fresh();
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/m.py'), 'print(1)\n');
    writeFileSync(join(src, 'top.js'), 'console.log(1);\n');
    chmodSync(join(src, 'top.js'), 0o755);
    const tgz = join(dir, 'sys.tar.gz');
    const zip = join(dir, 'sys.zip');
    expect(spawnSync('tar', ['-czf', tgz, '-C', src, '.']).status).toBe(0);
    expect(spawnSync('zip', ['-qr', zip, '.'], { cwd: src }).status, 'zip is installed').toBe(0);
    for (const archive of [tgz, zip]) {
      const out = fresh();
      await extractArchive(readFileSync(archive), out);
      expect(readFileSync(join(out, 'a/b/m.py'), 'utf8')).toBe('print(1)\n');
      expect(statSync(join(out, 'top.js')).mode & 0o100).toBe(0o100);
    }
    const ours = join(dir, 'ours.tar.gz');
    writeFileSync(ours, await packTree(src, 'tar.gz'));
    const listed = spawnSync('tar', ['-tzf', ours], { encoding: 'utf8' });
    expect(listed.stdout.split('\n').sort()).toEqual(['', 'a/', 'a/b/', 'a/b/m.py', 'top.js']);
    const oursZip = join(dir, 'ours.zip');
    writeFileSync(oursZip, await packTree(src, 'zip'));
    const tested = spawnSync('unzip', ['-t', oursZip], { encoding: 'utf8' });
    expect(tested.stdout).toContain('No errors detected');
  });

  it('skips the root entry ./ and normalizes ./ and // in names', async () => {
    const bytes = tarOf(rawEntry('./', '5'), rawEntry('./a//b.py', '0', Buffer.from('x')));
    const { contents } = await unpackArchive(bytes);
    expect(contents.files.map((f) => f.path)).toEqual(['a/b.py']);
  });

  it('reads pax paths and GNU long names', async () => {
    const long = `${'directory/'.repeat(20)}file.py`;
    // A pax record counts its own length.
    const record = `${Buffer.byteLength(` path=${long}\n`) + 3} path=${long}\n`;
    expect(Buffer.byteLength(record)).toBe(Number(record.split(' ')[0]));
    const bytes = tarOf(
      rawEntry('PaxHeader', 'x', Buffer.from(record)),
      rawEntry('short', '0', Buffer.from('1')),
      rawEntry('././@LongLink', 'L', Buffer.from(`gnu/${'y'.repeat(150)}.py\0`)),
      rawEntry('cut', '0', Buffer.from('2')),
    );
    const { contents } = await unpackArchive(bytes);
    expect(contents.files.map((f) => f.path)).toEqual([long, `gnu/${'y'.repeat(150)}.py`]);
  });
});

describe('refusals', () => {
  const tgz = (...blocks: Buffer[]): Buffer => gzipSync(tarOf(...blocks));
  const x = Buffer.from('x');

  it.each([
    ['../evil.py', 'leaves the archive'],
    ['a/../../evil.py', 'leaves the archive'],
    ['/etc/passwd', 'absolute path'],
    ['C:/evil.py', 'absolute path'],
    ['a\\..\\evil.py', 'backslash'],
    ['a/\x1b[31mred.py', 'control characters'],
    ['a/new\nline.py', 'control characters'],
  ])('refuses the name %j (400: %s)', async (name, words) => {
    const answer = await refusal(unpackArchive(tgz(rawEntry(name, '0', x))));
    expect(answer).toMatchObject({ code: 'INVALID_OPTIONS', status: 400 });
    expect(answer.message).toContain(words);
    expect(hasControlChars(answer.message)).toBe(false);
  });

  it('refuses traversal and absolute paths in zips too', async () => {
    for (const [name, words] of [
      ['../evil.py', 'leaves the archive'],
      ['/abs.py', 'absolute path'],
    ]) {
      const zip = await writeZip([file(name ?? '', 'x')]);
      const answer = await refusal(unpackArchive(zip));
      expect(answer.status).toBe(400);
      expect(answer.message).toContain(words);
    }
  });

  it.each([
    ['2', 'symbolic link'],
    ['1', 'hard link'],
    ['3', 'character device'],
    ['4', 'block device'],
    ['6', 'FIFO'],
    ['S', 'sparse'],
    ['V', 'not a file or directory'],
  ])('refuses tar type %s (%s)', async (type, words) => {
    const answer = await refusal(unpackArchive(tgz(rawEntry('link', type, Buffer.alloc(0), '/etc/passwd'))));
    expect(answer.status).toBe(400);
    expect(answer.message).toContain(words);
  });

  it('refuses a symlink in a zip (and what the system zip -y makes)', async () => {
    const src = fresh();
    writeFileSync(join(src, 'real.py'), 'x = 1\n');
    spawnSync('ln', ['-s', '/etc/passwd', join(src, 'link.py')]);
    const zip = join(dir, 'links.zip');
    expect(spawnSync('zip', ['-qry', zip, '.'], { cwd: src }).status).toBe(0);
    const answer = await refusal(unpackArchive(readFileSync(zip)));
    expect(answer.status).toBe(400);
    expect(answer.message).toContain('symbolic link');
    const tgzPath = join(dir, 'links.tar.gz');
    expect(spawnSync('tar', ['-czf', tgzPath, '-C', src, '.']).status).toBe(0);
    expect((await refusal(unpackArchive(readFileSync(tgzPath)))).message).toContain('symbolic link');
  });

  it('refuses duplicate names and a file where a directory is needed', async () => {
    const dup = await refusal(unpackArchive(tgz(rawEntry('a.py', '0', x), rawEntry('./a.py', '0', x))));
    expect(dup).toMatchObject({ status: 400 });
    expect(dup.message).toContain('"a.py" is in the archive twice');
    const zipDup = await refusal(unpackArchive(await writeZip([file('a.py', 'x'), file('a.py', 'y')])));
    expect(zipDup.message).toContain('twice');
    const under = await refusal(unpackArchive(tgz(rawEntry('a', '0', x), rawEntry('a/b.py', '0', x))));
    expect(under.message).toContain('which is a file');
    const over = await refusal(unpackArchive(tgz(rawEntry('a/b.py', '0', x), rawEntry('a', '0', x))));
    expect(over.message).toContain('under it');
  });

  it('refuses too many files, too deep, too large a file, too much in all, too large an upload (413)', async () => {
    const limited = (limits: Partial<ArchiveLimits>, bytes: Buffer) => refusal(unpackArchive(bytes, limits));
    const many = tgz(...Array.from({ length: 11 }, (_, i) => rawEntry(`f${i}.py`, '0', x)));
    expect(await limited({ files: 10 }, many)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect((await limited({ files: 10 }, many)).message).toContain('more than 10 files');
    const manyZip = await writeZip(Array.from({ length: 11 }, (_, i) => file(`f${i}.py`, 'x')));
    expect((await limited({ files: 10 }, manyZip)).message).toContain('above the limit of 10');
    const deep = tgz(rawEntry(`${'d/'.repeat(5)}f.py`, '0', x));
    expect((await limited({ depth: 4 }, deep)).message).toContain('6 levels deep, above the limit of 4');
    const big = tgz(rawEntry('big.py', '0', Buffer.alloc(2000, 0x61)));
    const one = await limited({ fileBytes: 1000 }, big);
    expect(one).toMatchObject({ status: 413 });
    expect(one.message).toContain('"big.py" unpacks to 2 KiB, above the per-file limit');
    const bigZip = await writeZip([file('big.py', Buffer.alloc(2000, 0x61))]);
    expect((await limited({ fileBytes: 1000 }, bigZip)).message).toContain('per-file limit');
    const two = tgz(
      rawEntry('a.py', '0', Buffer.alloc(700, 0x61)),
      rawEntry('b.py', '0', Buffer.alloc(700, 0x61)),
    );
    expect((await limited({ totalBytes: 1000 }, two)).message).toContain('more than 1000 bytes');
    expect((await limited({ archiveBytes: 100 }, two)).message).toMatch(
      /the upload is \d+ bytes, above the limit/,
    );
  });

  it('stops a gzip bomb while inflating, by ratio and by the absolute cap', async () => {
    // 48 MiB of zeros in one file gzips to ~50 KiB: far above 200 times.
    const zeros = gzipSync(tarOf(rawEntry('zeros.py', '0', Buffer.alloc(48 * 1_048_576))));
    expect(zeros.length).toBeLessThan(200_000);
    const started = performance.now();
    const ratio = await refusal(unpackArchive(zeros));
    expect(ratio).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(ratio.message).toContain('times its compressed size');
    expect(ratio.message).toContain('decompression bomb');
    expect(performance.now() - started).toBeLessThan(5_000);
    // Without the ratio, the absolute cap stops it.
    const cap = await refusal(unpackArchive(zeros, { ratio: 1e9, totalBytes: 1_048_576, files: 10 }));
    expect(cap.message).toContain('above the limit of 1 MiB');
  });

  it('refuses a zip bomb from its declared sizes, and one lying about them while inflating', async () => {
    const bomb = await writeZip([file('zeros.py', Buffer.alloc(16 * 1_048_576))]);
    const declared = await refusal(unpackArchive(bomb, { fileBytes: 64 * 1_048_576 }));
    expect(declared).toMatchObject({ status: 413 });
    expect(declared.message).toContain('decompression bomb');
    // The same entry declaring 1 KiB (central directory and local header): inflating stops at 1 KiB.
    const lying = Buffer.from(bomb);
    const cd = lying.readUInt32LE(lying.length - 22 + 16);
    lying.writeUInt32LE(1024, cd + 24);
    lying.writeUInt32LE(1024, 22);
    const answer = await refusal(unpackArchive(lying));
    expect(answer).toMatchObject({ status: 413 });
    expect(answer.message).toContain('inflates past its declared size of 1 KiB');
  });

  it('refuses what is not a tar, tar.gz or zip, says which compressions to use, and corrupt archives', async () => {
    expect((await refusal(unpackArchive(Buffer.from('hello world')))).message).toContain(
      'not a tar, tar.gz or zip',
    );
    expect((await refusal(unpackArchive(Buffer.alloc(0)))).message).toContain('empty');
    expect((await refusal(unpackArchive(Buffer.from('BZh91AY&SY')))).message).toContain('bzip2');
    const good = gzipSync(tarOf(rawEntry('a.py', '0', Buffer.alloc(3000, 0x61))));
    expect((await refusal(unpackArchive(good.subarray(0, good.length - 30)))).message).toMatch(
      /corrupt|truncated/,
    );
    const tar = gunzipSync(good);
    expect((await refusal(unpackArchive(tar.subarray(0, 1024)))).message).toContain('truncated');
    const zip = await writeZip([file('a.py', 'print(1)\n')]);
    const flipped = Buffer.from(zip);
    flipped[35] = (flipped[35] ?? 0) ^ 0xff; // a data byte of the stored entry (after 30 + 4 bytes)
    expect((await refusal(unpackArchive(flipped))).message).toContain('CRC-32');
    expect((await refusal(unpackArchive(zip.subarray(0, zip.length - 5)))).message).toContain(
      'central directory',
    );
  });

  it('writes nothing when any entry is refused', async () => {
    const out = fresh();
    await refusal(extractArchive(tgz(rawEntry('ok.py', '0', x), rawEntry('../evil.py', '0', x)), out));
    expect(spawnSync('ls', ['-A', out], { encoding: 'utf8' }).stdout).toBe('');
  });
});
