/**
 * Uploaded source trees as archives: tar, tar.gz and zip read into a fresh directory under hard limits
 * (limits.ts: size as uploaded and unpacked, per file, file count, path depth, inflation ratio), and a
 * directory written back as tar.gz or zip. Nothing is written until the whole archive has been read and
 * every entry admitted; only regular files and directories are ever created.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import {
  ArchiveContents,
  archiveLimits,
  bomb,
  bytesText,
  inflateLimit,
  refuse,
  tooLarge,
  type ArchiveLimits,
} from './limits.js';
import { looksLikeTar, readTar, writeTar, type TarEntry } from './tar.js';
import { looksLikeZip, readZip, writeZip } from './zip.js';

export {
  ArchiveLimitsSchema,
  archiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  type ArchiveLimits,
  type ArchiveFile,
} from './limits.js';
export { crc32 } from './zip.js';

const gunzip = promisify(gunzipCb);
const gzip = promisify(gzipCb);

/** What an upload is. */
export type UploadFormat = 'tar' | 'tar.gz' | 'zip';
/** What an instrumented tree is sent back as. */
export type ArchiveFormat = 'tar.gz' | 'zip';
export const ARCHIVE_FORMATS = ['tar.gz', 'zip'] as const;

export const ARCHIVE_MEDIA_TYPES: Readonly<Record<ArchiveFormat, string>> = {
  'tar.gz': 'application/gzip',
  zip: 'application/zip',
};

/** The answer's format for an upload: zip for zip, tar.gz for tar and tar.gz. */
export const replyFormat = (upload: UploadFormat): ArchiveFormat => (upload === 'zip' ? 'zip' : 'tar.gz');

const OTHER_COMPRESSIONS: ReadonlyArray<[Buffer, string]> = [
  [Buffer.from('BZh'), 'bzip2'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd'],
  [Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), '7z'],
  [Buffer.from('Rar!'), 'rar'],
];

/** The upload's format by its first bytes (never by a name or a content type). */
export function detectFormat(bytes: Buffer): UploadFormat {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar.gz';
  if (looksLikeZip(bytes)) return 'zip';
  if (looksLikeTar(bytes)) return 'tar';
  for (const [magic, name] of OTHER_COMPRESSIONS)
    if (bytes.subarray(0, magic.length).equals(magic))
      throw refuse(`this is ${name}, which is not read: send a tar.gz (tar -czf), a plain tar or a zip`);
  if (bytes.length === 0) throw refuse('the upload is empty: send a tar, tar.gz or zip of the tree');
  throw refuse(
    'this is not a tar, tar.gz or zip archive: send one of those (tar -czf tree.tar.gz -C <dir> .)',
  );
}

/** Inflates a gzip stream (members concatenated, as gunzip does), stopping at the ratio or the total cap. */
async function inflateGzip(bytes: Buffer, limits: ArchiveLimits): Promise<Buffer> {
  // The tar stream holds headers and padding besides the files: up to 1.5 KiB per entry.
  const cap = limits.totalBytes + (limits.files + 2) * 1536;
  const limit = inflateLimit(bytes.length, cap, limits);
  try {
    return await gunzip(bytes, { maxOutputLength: limit.bytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      if (limit.byRatio) throw bomb('the gzip stream', bytes.length, limits);
      throw tooLarge(
        `the tar stream inflates to more than ${bytesText(limit.bytes)}, above the limit of ${bytesText(limits.totalBytes)} ` +
          'of files: send a smaller part of the tree',
        { limit: 'totalBytes' },
      );
    }
    throw refuse(`the gzip stream is corrupt (${(error as Error).message}): send a complete, valid tar.gz`);
  }
}

export interface UnpackedArchive {
  format: UploadFormat;
  contents: ArchiveContents;
}

/** Reads an upload into memory, every entry admitted; nothing is written. */
export async function unpackArchive(
  bytes: Buffer,
  given: Partial<ArchiveLimits> = {},
): Promise<UnpackedArchive> {
  const limits = archiveLimits(given);
  if (bytes.length > limits.archiveBytes)
    throw tooLarge(
      `the upload is ${bytesText(bytes.length)}, above the limit of ${bytesText(limits.archiveBytes)}: send a smaller part of the tree`,
      { limit: 'archiveBytes' },
    );
  const format = detectFormat(bytes);
  const contents = new ArchiveContents(limits);
  if (format === 'zip') await readZip(bytes, contents);
  else readTar(format === 'tar.gz' ? await inflateGzip(bytes, limits) : bytes, contents);
  return { format, contents };
}

export interface ExtractedArchive {
  format: UploadFormat;
  files: number;
  dirs: number;
  bytes: number;
}

/**
 * Reads an upload and writes its files and directories under `dir` (which must exist and be empty): only
 * once every entry was admitted, each file created anew (never through an existing path).
 */
export async function extractArchive(
  bytes: Buffer,
  dir: string,
  limits: Partial<ArchiveLimits> = {},
): Promise<ExtractedArchive> {
  const { format, contents } = await unpackArchive(bytes, limits);
  for (const path of [...contents.dirs].sort()) await mkdir(join(dir, path), { recursive: true });
  for (const file of contents.files) {
    const target = join(dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data, { flag: 'wx', mode: file.executable ? 0o755 : 0o644 });
  }
  return { format, files: contents.files.length, dirs: contents.dirs.size, bytes: contents.bytes };
}

/** The regular files and directories under `dir`, sorted (symbolic links and anything else left out). */
async function treeEntries(dir: string, prefix = ''): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const entries = (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (!entry.isFile() && !entry.isDirectory()) continue;
    const info = await stat(join(dir, path));
    const mtime = Math.floor(info.mtimeMs / 1000);
    if (entry.isDirectory()) {
      out.push({ path, dir: true, mode: 0o755, mtime });
      out.push(...(await treeEntries(dir, path)));
    } else {
      const data = await readFile(join(dir, path));
      out.push({ path, dir: false, data, mode: info.mode & 0o111 ? 0o755 : 0o644, mtime });
    }
  }
  return out;
}

/** `dir` as a tar.gz or a zip. */
export async function packTree(dir: string, format: ArchiveFormat): Promise<Buffer> {
  const entries = await treeEntries(dir);
  return format === 'zip' ? writeZip(entries) : gzip(writeTar(entries));
}
