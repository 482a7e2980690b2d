/**
 * What an uploaded archive may hold, and the one place its entries are admitted: each name is checked
 * (relative, no `..`, no control characters, not too deep, not twice, no file where a directory is needed)
 * and counted against the limits before a byte of it is unpacked. Refusals of what the archive *is* are
 * InvalidOptionsError (400); refusals of how *much* it holds are PAYLOAD_TOO_LARGE (413). Each message says
 * what to change.
 */
import { z } from 'zod';
import { escapeControlChars, hasControlChars } from '../../../control-chars.js';
import { InvalidOptionsError, ScriptboxError } from '../../../errors.js';

const MiB = 1_048_576;

export const DEFAULT_ARCHIVE_LIMITS = {
  archiveBytes: 32 * MiB,
  totalBytes: 64 * MiB,
  fileBytes: 8 * MiB,
  files: 10_000,
  depth: 32,
  ratio: 200,
  ratioFloorBytes: 4 * MiB,
} as const;

export const ArchiveLimitsSchema = z
  .object({
    archiveBytes: z
      .number()
      .int()
      .min(1)
      .describe(`Largest archive as uploaded, in bytes (default ${DEFAULT_ARCHIVE_LIMITS.archiveBytes})`),
    totalBytes: z
      .number()
      .int()
      .min(1)
      .describe(`Most bytes all its files may unpack to (default ${DEFAULT_ARCHIVE_LIMITS.totalBytes})`),
    fileBytes: z
      .number()
      .int()
      .min(1)
      .describe(`Most bytes one file may unpack to (default ${DEFAULT_ARCHIVE_LIMITS.fileBytes})`),
    files: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .describe(`Most files and directories (default ${DEFAULT_ARCHIVE_LIMITS.files})`),
    depth: z
      .number()
      .int()
      .min(1)
      .max(256)
      .describe(`Most directories a path may go down (default ${DEFAULT_ARCHIVE_LIMITS.depth})`),
    ratio: z
      .number()
      .min(1)
      .describe(
        `Most times a compressed stream may inflate its own size (zip bombs; default ${DEFAULT_ARCHIVE_LIMITS.ratio})`,
      ),
    ratioFloorBytes: z
      .number()
      .int()
      .min(0)
      .describe(
        `The ratio is enforced only past this many inflated bytes (default ${DEFAULT_ARCHIVE_LIMITS.ratioFloorBytes})`,
      ),
  })
  .partial()
  .strict();
export type ArchiveLimits = Required<z.infer<typeof ArchiveLimitsSchema>>;

export function archiveLimits(given: z.infer<typeof ArchiveLimitsSchema> = {}): ArchiveLimits {
  return { ...DEFAULT_ARCHIVE_LIMITS, ...given };
}

/** `12.5 MiB`, `300 KiB`, `17 bytes`. */
export function bytesText(bytes: number): string {
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

/** An archive that is not what we take (format, names, entry kinds): 400, the message says what to do. */
export function refuse(message: string): InvalidOptionsError {
  return new InvalidOptionsError(`archive: ${message}`, [`archive: ${message}`]);
}

/** An archive that holds too much: 413. */
export function tooLarge(message: string, data: Record<string, unknown> = {}): ScriptboxError {
  return new ScriptboxError('PAYLOAD_TOO_LARGE', `archive: ${message}`, { data });
}

/** A name as it may be shown: quoted, control characters escaped, long ones cut. */
export function shown(name: string): string {
  const text = escapeControlChars(name).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
}

const TREE_HINT =
  'archive the tree from its own root (tar -czf tree.tar.gz -C <dir> . or cd <dir> && zip -r ..)';

/**
 * The entry's path as a relative POSIX path without `.` segments, or null for the root itself (`./`).
 * Throws for absolute paths, `..`, backslashes, drive letters, control characters and too deep paths.
 */
export function normalizeName(raw: string, limits: ArchiveLimits): string | null {
  if (raw === '') throw refuse(`an entry has an empty name; ${TREE_HINT}`);
  if (hasControlChars(raw))
    throw refuse(`entry ${shown(raw)} has control characters in its name: rename the file`);
  if (raw.includes('\\'))
    throw refuse(`entry ${shown(raw)} has a backslash in its name: paths must use "/" (rename the file)`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
    throw refuse(`entry ${shown(raw)} is an absolute path: ${TREE_HINT}`);
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..'))
    throw refuse(`entry ${shown(raw)} leaves the archive's directory (".."): ${TREE_HINT}`);
  if (segments.length === 0) return null;
  if (segments.length > limits.depth)
    throw tooLarge(
      `entry ${shown(raw)} is ${segments.length} levels deep, above the limit of ${limits.depth}: flatten the tree`,
    );
  for (const segment of segments)
    if (Buffer.byteLength(segment) > 255)
      throw refuse(`entry ${shown(raw)} has a name longer than 255 bytes: rename it`);
  return segments.join('/');
}

export interface ArchiveFile {
  path: string;
  data: Buffer;
  executable: boolean;
}

/**
 * The entries of one archive, admitted one by one: names checked and unique, counts and sizes within the
 * limits. `reserve()` admits a file before it is inflated (the caller then inflates at most `room` bytes).
 */
export class ArchiveContents {
  readonly files: ArchiveFile[] = [];
  readonly dirs = new Set<string>();
  private readonly names = new Map<string, 'file' | 'dir'>();
  private entries = 0;
  bytes = 0;

  constructor(readonly limits: ArchiveLimits) {}

  /** Checks `raw` as a new entry's name; null for the archive's root (`./`), which is skipped. */
  admit(raw: string, kind: 'file' | 'dir'): string | null {
    const path = normalizeName(raw, this.limits);
    if (path === null) {
      if (kind === 'file') throw refuse(`entry ${shown(raw)} is a file without a name`);
      return null;
    }
    if (this.names.has(path))
      throw refuse(`${shown(path)} is in the archive twice: keep one copy of it and archive again`);
    // Every parent is a directory: no file may stand where a directory is needed, or the other way round.
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      const seen = this.names.get(parent);
      if (seen === 'file')
        throw refuse(`${shown(path)} is under ${shown(parent)}, which is a file in the archive: rename one`);
    }
    if (kind === 'file') {
      for (const name of this.names.keys())
        if (name.startsWith(`${path}/`))
          throw refuse(`${shown(path)} is a file, but the archive has ${shown(name)} under it: rename one`);
    }
    if (++this.entries > this.limits.files)
      throw tooLarge(
        `more than ${this.limits.files} files and directories (the limit): send a smaller part of the tree`,
        { limit: 'files' },
      );
    this.names.set(path, kind);
    if (kind === 'dir') this.dirs.add(path);
    return path;
  }

  /** How many bytes the next file may unpack to: the per-file limit or what the total has left. */
  room(): number {
    return Math.min(this.limits.fileBytes, this.limits.totalBytes - this.bytes);
  }

  /** Refuses a file whose size (declared or real) is above what is left. */
  checkSize(path: string, size: number): void {
    if (size > this.limits.fileBytes)
      throw tooLarge(
        `${shown(path)} unpacks to ${bytesText(size)}, above the per-file limit of ${bytesText(this.limits.fileBytes)}: ` +
          'leave it out of the archive',
        { limit: 'fileBytes' },
      );
    if (this.bytes + size > this.limits.totalBytes)
      throw tooLarge(
        `the files unpack to more than ${bytesText(this.limits.totalBytes)} (the limit): send a smaller part of the tree`,
        { limit: 'totalBytes' },
      );
  }

  addFile(path: string, data: Buffer, executable: boolean): void {
    this.checkSize(path, data.length);
    this.bytes += data.length;
    this.files.push({ path, data, executable });
  }
}

export interface InflateLimit {
  bytes: number;
  /** The ratio (not the absolute cap) is what limits it. */
  byRatio: boolean;
}

/** The most bytes a stream of `compressed` bytes may inflate to: the ratio (past its floor), or `cap`. */
export function inflateLimit(compressed: number, cap: number, limits: ArchiveLimits): InflateLimit {
  const ratio = Math.max(limits.ratioFloorBytes, Math.floor(compressed * limits.ratio));
  return ratio < cap ? { bytes: ratio, byRatio: true } : { bytes: cap, byRatio: false };
}

/** A stream that inflates past `ratio` times its size: refused while inflating, as a bomb. */
export function bomb(what: string, compressed: number, limits: ArchiveLimits): ScriptboxError {
  return tooLarge(
    `${what} inflates to more than ${limits.ratio} times its compressed size of ${bytesText(compressed)}: ` +
      'it looks like a decompression bomb; archive the source files themselves',
    { limit: 'ratio' },
  );
}
