/**
 * Collects the files a finished script left under `out/`, all of it hostile. We never follow a symlink, open
 * only regular files (O_NOFOLLOW | O_NONBLOCK, then fstat: same dev+ino as the lstat), and reach every child
 * through its parent's open directory fd (`/proc/self/fd/N/name`, openat() without native code). A name
 * with a control character (newline and tab included) or a bidi override is never collected. Small files can
 * come back with their bytes (`inline`), read from the same checked fd. Linux only.
 */
import { constants as C, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { lstat, mkdir, open, opendir, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { escapeName, hasControlChars } from '../control-chars.js';
import type { OutputFileInfo, SkippedFile } from './result-types.js';
import { FileNotFoundError, InvalidOptionsError } from '../errors.js';

export interface CollectOpts {
  /** Most files collected; every further regular file is skipped and sets `limitHit`. */
  maxFiles: number;
  /** Most bytes collected in total; a file that would pass it is skipped (smaller later ones still fit). */
  maxBytes: number;
  /** Copy collected files here (created if missing); without it only sizes are measured. */
  destDir?: string;
  /** Most path components of a collected file: 1 = only files directly in out/. Default 16. */
  maxDepth?: number;
  /** Most directory entries looked at before the walk stops (sets `limitHit`). Default 100 000. */
  maxEntries?: number;
  /**
   * Return files' bytes (base64 `content`) when a file has at most `maxFileBytes` and the inlined files
   * together at most `maxTotalBytes`; others are listed without content. Default: nothing inlined.
   */
  inline?: { maxFileBytes: number; maxTotalBytes: number };
  /** The caps' names in skip reasons, as the caller's user knows them (default `maxFiles`, `maxBytes`). */
  capNames?: { maxFiles: string; maxBytes: string };
  /** Collect only the regular files this says yes to (by path and lstat); the others are passed over. */
  only?: (path: string, st: BigIntStats) => boolean;
}

export interface CollectedOutputs {
  /** Sorted by path; paths relative to outRoot with '/' separators. */
  files: OutputFileInfo[];
  /** What was not collected and why; at most 1000 entries, then one summary entry with path '.'. */
  skipped: SkippedFile[];
  /** True when maxFiles, maxBytes or maxEntries stopped collection. */
  limitHit: boolean;
}

const MAX_SKIPPED_LISTED = 1000;
const READ_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
const WRITE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW | C.O_NONBLOCK;
const DEST_REFUSALS = new Set(['ELOOP', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENXIO']); // in the way: skip, no throw

/** `name` inside the directory open as `dir`, resolved through the fd (never a re-walked path). */
const inDir = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`;
const lstatB = (p: string): Promise<BigIntStats> => lstat(p, { bigint: true });
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const errCode = (err: unknown): string =>
  err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : String(err);

function kindOf(st: BigIntStats): string {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'regular file';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return st.isBlockDevice() || st.isCharacterDevice() ? 'device node' : 'special file';
}

const using = <T>(fh: FileHandle, fn: () => Promise<T>): Promise<T> => fn().finally(() => fh.close());

/** The first `size` bytes of `src` (fewer if it is shorter now), or why they could not be read. */
async function readAtMost(src: FileHandle, size: number): Promise<Buffer | string> {
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const read = await src.read(buf, got, size - got, got).catch(errCode);
    if (typeof read === 'string') return `read failed (${read})`;
    if (read.bytesRead === 0) break;
    got += read.bytesRead;
  }
  return buf.subarray(0, got);
}

/** Opens `p` and checks the fd is the same kind of object, with the same dev+ino, that lstat saw. */
async function openSame(p: string, flags: number, want: BigIntStats): Promise<FileHandle | string> {
  const fh = await open(p, flags).catch(errCode);
  if (typeof fh === 'string') return `cannot open (${fh})`;
  const st = await fh.stat({ bigint: true }).catch(() => null);
  const kindOk = want.isDirectory() ? st?.isDirectory() : st?.isFile();
  if (st && kindOk && st.dev === want.dev && st.ino === want.ino) return fh;
  await fh.close();
  return 'changed between lstat and open; not read';
}

type Dest = { fh: FileHandle; abs: string };
/** An output directory that cannot be made or opened: the caller's path to fix, as an unreadable input is. */
function destError(abs: string, err: unknown): never {
  throw new FileNotFoundError(`cannot write outputs under the output directory ${abs}: ${errCode(err)}`, {
    cause: err,
  });
}

/** Validates (or creates) destDir and opens it; throws for problems the caller must fix (its path). */
async function openDestRoot(abs: string): Promise<Dest> {
  const st = await lstatB(abs)
    .catch(async (err: unknown) => {
      if (errCode(err) !== 'ENOENT') throw err;
      await mkdir(abs, { recursive: true, mode: 0o755 });
      return lstatB(abs);
    })
    .catch((err: unknown) => destError(abs, err));
  if (!st.isDirectory()) {
    const fix = st.isSymbolicLink() ? 'pass the real directory instead' : 'remove it or pick another path';
    const msg = `the output directory (--out-dir / outDir) ${abs} is a ${kindOf(st)}, not a directory; ${fix}`;
    throw new InvalidOptionsError(msg, [msg]);
  }
  const fh = await openSame(abs, DIR_FLAGS, st);
  if (typeof fh === 'string') throw new FileNotFoundError(`the output directory ${abs}: ${fh}`);
  return { fh, abs };
}

class Collector {
  readonly result: CollectedOutputs = { files: [], skipped: [], limitHit: false };
  private bytes = 0;
  private inlined = 0;
  private entries = 0;
  private omitted = 0;
  private stopped = false;

  constructor(
    private readonly opts: CollectOpts,
    private readonly dest: Dest | null,
  ) {}

  skip(p: string, reason: string, limit = false): void {
    if (limit) this.result.limitHit = true;
    if (this.result.skipped.length < MAX_SKIPPED_LISTED) this.result.skipped.push({ path: p, reason });
    else this.omitted++;
  }

  finish(): CollectedOutputs {
    this.result.files.sort((a, b) => byCodeUnit(a.path, b.path));
    if (this.omitted > 0) this.result.skipped.push({ path: '.', reason: `${this.omitted} more not listed` });
    return this.result;
  }

  async walk(dir: FileHandle, parts: string[]): Promise<void> {
    const maxDepth = this.opts.maxDepth ?? 16;
    for (const name of await this.list(dir, parts)) {
      const sub = [...parts, name];
      const rel = sub.join('/');
      // Such a name would be a command on the terminal that shows it (or a second line in a listing):
      // neither listed nor written to the host, and reported escaped.
      if (hasControlChars(name)) {
        this.skip(escapeName(rel), 'name has control characters; not collected');
        continue;
      }
      const st = await lstatB(inDir(dir, name)).catch(errCode);
      if (typeof st === 'string') this.skip(rel, `cannot lstat (${st})`);
      else if (!st.isDirectory() && !st.isFile()) this.skip(rel, `${kindOf(st)}; not followed`);
      else if (sub.length + (st.isDirectory() ? 1 : 0) > maxDepth) this.skip(rel, 'deeper than maxDepth');
      else if (st.isFile()) await this.file(dir, name, sub, st);
      else {
        const fh = await openSame(inDir(dir, name), DIR_FLAGS, st);
        if (typeof fh === 'string') this.skip(rel, `directory ${fh}`);
        else await using(fh, () => this.walk(fh, sub));
      }
    }
  }

  /** Names in `dir`, sorted, counted against maxEntries. */
  private async list(dir: FileHandle, parts: string[]): Promise<string[]> {
    const names: string[] = [];
    const maxEntries = this.opts.maxEntries ?? 100_000;
    if (this.stopped) return names;
    try {
      for await (const ent of await opendir(`/proc/self/fd/${dir.fd}`, { bufferSize: 128 })) {
        if (this.entries >= maxEntries) {
          this.stopped = true;
          this.skip(parts.join('/') || '.', `walk stopped at maxEntries (${maxEntries})`, true);
          break;
        }
        this.entries++;
        names.push(ent.name);
      }
    } catch (err) {
      this.skip(parts.join('/') || '.', `cannot list directory (${errCode(err)})`);
    }
    return names.sort(byCodeUnit);
  }

  private async file(dir: FileHandle, name: string, parts: string[], st: BigIntStats): Promise<void> {
    const rel = parts.join('/');
    const { maxFiles, maxBytes } = this.opts;
    const names = this.opts.capNames ?? { maxFiles: 'maxFiles', maxBytes: 'maxBytes' };
    if (this.opts.only && !this.opts.only(rel, st)) return;
    if (this.result.files.length >= maxFiles) {
      return this.skip(rel, `over ${names.maxFiles} (${maxFiles} files)`, true);
    }
    const src = await openSame(inDir(dir, name), READ_FLAGS, st);
    if (typeof src === 'string') return this.skip(rel, src);
    let size = 0;
    let content: Buffer | undefined;
    const bytes = await using(src, async () => {
      size = Number((await src.stat({ bigint: true })).size);
      if (size > maxBytes - this.bytes) return `${size} bytes would pass ${names.maxBytes} (${maxBytes})`;
      if (this.fitsInline(size)) {
        const read = await readAtMost(src, size);
        if (typeof read === 'string') return read;
        content = read;
        return this.dest ? this.copy(src, parts, read.length, this.dest, read) : read.length;
      }
      return this.dest ? this.copy(src, parts, size, this.dest) : size;
    });
    if (typeof bytes === 'string') return this.skip(rel, bytes, size > maxBytes - this.bytes);
    this.bytes += bytes;
    const info: OutputFileInfo = { path: rel, bytes };
    if (content !== undefined) {
      this.inlined += content.length;
      info.content = content.toString('base64');
    }
    this.result.files.push(info);
  }

  private fitsInline(size: number): boolean {
    const inline = this.opts.inline;
    return inline !== undefined && size <= inline.maxFileBytes && size <= inline.maxTotalBytes - this.inlined;
  }

  /**
   * Copies at most `size` bytes of `src` (or the bytes already read from it, `read`) to destDir/<rel>: the
   * byte count, or why it was not written.
   */
  private async copy(
    src: FileHandle,
    parts: string[],
    size: number,
    dest: Dest,
    read?: Buffer,
  ): Promise<number | string> {
    const rel = parts.join('/');
    const back = path.relative(dest.abs, path.resolve(dest.abs, rel));
    if (back !== rel || back.split('/').includes('..') || path.isAbsolute(back)) return 'would leave destDir';
    const out = await this.openDest(parts, dest);
    if (typeof out === 'string') return out;
    if (read !== undefined) {
      return using(out, async () => {
        await out.writeFile(read).catch((err: unknown) => destError(dest.abs, err));
        return read.length;
      });
    }
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(64 * 1024, size)));
    let copied = 0;
    return using(out, async () => {
      while (copied < size) {
        const got = await src.read(buf, 0, Math.min(buf.length, size - copied), copied).catch(errCode);
        if (typeof got === 'string') {
          await unlink(path.join(dest.abs, rel)).catch(() => undefined);
          return `read failed (${got})`;
        }
        if (got.bytesRead === 0) break;
        await out.writeFile(buf.subarray(0, got.bytesRead)).catch((err: unknown) => destError(dest.abs, err));
        copied += got.bytesRead;
      }
      return copied;
    });
  }

  /** Creates the directories for `parts` (never through a symlink) and opens the file, or says why not. */
  private async openDest(parts: string[], dest: Dest): Promise<FileHandle | string> {
    const opened: FileHandle[] = [];
    const fail = (err: unknown): never => destError(dest.abs, err);
    try {
      let dir = dest.fh;
      for (const part of parts.slice(0, -1)) {
        const p = inDir(dir, part);
        await mkdir(p, 0o755).catch((err: unknown) => (errCode(err) === 'EEXIST' ? undefined : fail(err)));
        const st = await lstatB(p).catch(fail);
        if (!st.isDirectory()) return `destination component ${part} is a ${kindOf(st)}; not followed`;
        const sub = await openSame(p, DIR_FLAGS, st);
        if (typeof sub === 'string') return `destination directory ${part}: ${sub}`;
        opened.push(sub);
        dir = sub;
      }
      const p = inDir(dir, parts.at(-1) ?? '');
      const old = await lstatB(p).catch(() => null);
      if (old && !old.isFile()) return `destination exists as a ${kindOf(old)}; not overwritten`;
      if (old && old.nlink > 1n) return 'destination is a hard-linked file; not overwritten';
      const fh = await open(p, WRITE_FLAGS, 0o644).catch((err: unknown) =>
        DEST_REFUSALS.has(errCode(err)) ? `cannot create destination (${errCode(err)})` : fail(err),
      );
      if (typeof fh === 'string') return fh;
      const st = await fh.stat({ bigint: true });
      if (st.isFile() && st.nlink === 1n) return fh;
      await fh.close();
      return 'destination is not a plain regular file; not written';
    } finally {
      for (const fh of opened) await fh.close();
    }
  }
}

/** Creates `destDir` if missing, or throws if it cannot receive outputs; call it before running a script. */
export async function prepareDestDir(destDir: string): Promise<void> {
  const dest = await openDestRoot(path.resolve(destDir));
  await dest.fh.close();
}

/** Walks `outRoot` and returns (and, with `destDir`, copies) the regular files a script wrote. */
export async function collectOutputs(outRoot: string, opts: CollectOpts): Promise<CollectedOutputs> {
  // Most runs leave out/ empty: one synchronous look says so without a trip through the thread pool.
  if (opts.destDir === undefined && isEmptyDir(outRoot)) return { files: [], skipped: [], limitHit: false };
  const dest = opts.destDir === undefined ? null : await openDestRoot(path.resolve(opts.destDir));
  try {
    const c = new Collector(opts, dest);
    const st = await lstatB(outRoot).catch(errCode);
    if (st === 'ENOENT' || st === 'ENOTDIR') return c.finish();
    if (typeof st === 'string') c.skip('.', `cannot lstat out (${st})`);
    else if (!st.isDirectory()) c.skip('.', `out is a ${kindOf(st)}, not a directory; nothing collected`);
    else {
      const root = await openSame(outRoot, DIR_FLAGS, st);
      if (typeof root === 'string') c.skip('.', `out ${root}`);
      else await using(root, () => c.walk(root, []));
    }
    return c.finish();
  } finally {
    await dest?.fh.close();
  }
}

/**
 * Reads one regular file at `relPath` under `root` without following any symlink on the way (each
 * component is opened through its parent's fd and checked against its lstat). Throws FileNotFoundError
 * for anything that is not a plain path to a regular file of at most `maxBytes`.
 */
export async function readFileSafely(root: string, relPath: string, maxBytes: number): Promise<Buffer> {
  const parts = relPath.split('/');
  if (relPath.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw new FileNotFoundError(
      `"${relPath}" is not a plain relative path; give a path like data/result.csv`,
    );
  }
  const missing = (why: string): FileNotFoundError => new FileNotFoundError(`cannot read ${relPath}: ${why}`);
  // The root is the host's own handle on the work dir (often /proc/self/fd/N): followed on purpose.
  const rootStat = await stat(root, { bigint: true }).catch(() => null);
  if (!rootStat?.isDirectory()) throw missing('the work directory is gone');
  let dir = await openSame(root, DIR_FLAGS & ~C.O_NOFOLLOW, rootStat);
  if (typeof dir === 'string') throw missing(dir);
  try {
    for (const [i, part] of parts.entries()) {
      const st = await lstatB(inDir(dir, part)).catch(() => null);
      const last = i === parts.length - 1;
      if (!st) throw missing('no such file');
      if (last ? !st.isFile() : !st.isDirectory()) {
        throw missing(`${parts.slice(0, i + 1).join('/')} is a ${kindOf(st)}`);
      }
      if (last && st.size > BigInt(maxBytes)) throw missing(`it is larger than ${maxBytes} bytes`);
      const next = await openSame(inDir(dir, part), last ? READ_FLAGS : DIR_FLAGS, st);
      if (typeof next === 'string') throw missing(next);
      await dir.close();
      dir = next;
    }
    return await dir.readFile();
  } finally {
    await dir.close();
  }
}

/** True only for a real directory (not a link to one) with no entries. */
function isEmptyDir(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory() && readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}
