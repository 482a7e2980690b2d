/**
 * collectOutputs with `inline`: which out/ files come back with their bytes, under per-file and total caps;
 * the copies in destDir stay byte-exact either way; and mediaTypeOf names files by extension.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTextMediaType, mediaTypeOf } from '../../src/sandbox/media-types.js';
import { collectOutputs } from '../../src/sandbox/outputs.js';

let tmp: string;
let out: string;
let dest: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scriptbox-inline-'));
  out = path.join(tmp, 'out');
  dest = path.join(tmp, 'dest');
  fs.mkdirSync(out);
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(rel: string, data: Buffer): void {
  const p = path.join(out, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** Bytes that differ at every position, so a shifted or partial copy cannot pass for the original. */
const pattern = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251));

describe('collectOutputs inline', () => {
  it('inlines files up to maxFileBytes, in path order while the total fits, and copies all byte-exact', async () => {
    const a = pattern(100, 1);
    const b = pattern(101, 2); // over the per-file cap
    const c = pattern(60, 3);
    const d = pattern(50, 4); // would pass the total cap (100 + 60 + 50 > 200)
    const e = pattern(40, 5); // still fits after d was passed over
    write('a.bin', a);
    write('b.bin', b);
    write('c/c.bin', c);
    write('d.bin', d);
    write('e.bin', e);
    const res = await collectOutputs(out, {
      maxFiles: 10,
      maxBytes: 10_000,
      destDir: dest,
      inline: { maxFileBytes: 100, maxTotalBytes: 200 },
    });
    expect(res.files).toEqual([
      { path: 'a.bin', bytes: 100, content: a.toString('base64') },
      { path: 'b.bin', bytes: 101 },
      { path: 'c/c.bin', bytes: 60, content: c.toString('base64') },
      { path: 'd.bin', bytes: 50 },
      { path: 'e.bin', bytes: 40, content: e.toString('base64') },
    ]);
    expect(res.skipped).toEqual([]);
    for (const [rel, data] of [
      ['a.bin', a],
      ['b.bin', b],
      ['c/c.bin', c],
      ['d.bin', d],
      ['e.bin', e],
    ] as const) {
      expect(fs.readFileSync(path.join(dest, rel)).equals(data), rel).toBe(true);
    }
  });

  it('inlines nothing with maxFileBytes 0 but an empty file, and nothing at all without `inline`', async () => {
    write('x.txt', Buffer.from('hello'));
    write('empty.txt', Buffer.alloc(0));
    const zero = await collectOutputs(out, {
      maxFiles: 10,
      maxBytes: 100,
      inline: { maxFileBytes: 0, maxTotalBytes: 100 },
    });
    expect(zero.files).toEqual([
      { path: 'empty.txt', bytes: 0, content: '' },
      { path: 'x.txt', bytes: 5 },
    ]);
    const none = await collectOutputs(out, { maxFiles: 10, maxBytes: 100 });
    expect(none.files).toEqual([
      { path: 'empty.txt', bytes: 0 },
      { path: 'x.txt', bytes: 5 },
    ]);
  });

  it('names the caps as the caller gives them in skip reasons', async () => {
    write('a', Buffer.alloc(10));
    write('b', Buffer.alloc(30));
    write('c', Buffer.alloc(1));
    write('d', Buffer.alloc(1));
    const res = await collectOutputs(out, {
      maxFiles: 2,
      maxBytes: 20,
      capNames: { maxFiles: 'limits.maxOutFiles', maxBytes: 'limits.maxOutBytes' },
    });
    expect(res.files.map((f) => f.path)).toEqual(['a', 'c']);
    expect(res.skipped).toEqual([
      { path: 'b', reason: '30 bytes would pass limits.maxOutBytes (20)' },
      { path: 'd', reason: 'over limits.maxOutFiles (2 files)' },
    ]);
  });
});

describe('mediaTypeOf', () => {
  it('maps extensions case-insensitively and falls back to application/octet-stream', () => {
    expect(mediaTypeOf('chart.png')).toBe('image/png');
    expect(mediaTypeOf('dir/Photo.JPG')).toBe('image/jpeg');
    expect(mediaTypeOf('data.csv')).toBe('text/csv');
    expect(mediaTypeOf('a.b/report.json')).toBe('application/json');
    expect(mediaTypeOf('plot.svg')).toBe('image/svg+xml');
    expect(mediaTypeOf('Makefile')).toBe('application/octet-stream');
    expect(mediaTypeOf('.png')).toBe('application/octet-stream'); // a dotfile, not an extension
    expect(mediaTypeOf('dir.png/blob')).toBe('application/octet-stream');
    expect(mediaTypeOf('x.unknownext')).toBe('application/octet-stream');
  });

  it('tells text types from binary ones', () => {
    for (const type of ['text/csv', 'application/json', 'image/svg+xml', 'application/x-ndjson'])
      expect(isTextMediaType(type), type).toBe(true);
    for (const type of ['image/png', 'application/octet-stream', 'application/zip'])
      expect(isTextMediaType(type), type).toBe(false);
  });
});
