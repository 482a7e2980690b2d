/**
 * zip, read and written by hand: the central directory is the truth (local headers are checked against
 * it), entries are stored or deflated (inflateRaw with a cap on its output, so a bomb stops while it
 * inflates), CRC-32 and sizes are verified. Refused: zip64, multi-disk and encrypted archives, other
 * compression methods, symlinks and devices, overlapping entries.
 */
import { promisify } from 'node:util';
import { deflateRaw as deflateRawCb, inflateRaw as inflateRawCb } from 'node:zlib';
import { bomb, bytesText, inflateLimit, refuse, shown, tooLarge, type ArchiveContents } from './limits.js';
import type { TarEntry } from './tar.js';

const inflateRaw = promisify(inflateRawCb);
const deflateRaw = promisify(deflateRawCb);

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_LOCATOR = 0x07064b50;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let crc = -1;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Whether `bytes` starts like a zip (a local header, or the end record of an empty one). */
export function looksLikeZip(bytes: Buffer): boolean {
  return bytes.length >= 22 && (bytes.readUInt32LE(0) === LOCAL || bytes.readUInt32LE(0) === EOCD);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

interface CentralEntry {
  name: string;
  nameBytes: Buffer;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
  kind: 'file' | 'dir';
  executable: boolean;
  path: string | null;
}

function findEnd(bytes: Buffer): number {
  const last = bytes.length - 22;
  for (let at = last; at >= Math.max(0, last - 65_535); at--) {
    if (bytes.readUInt32LE(at) === EOCD && at + 22 + bytes.readUInt16LE(at + 20) === bytes.length) return at;
  }
  throw refuse('no zip central directory found: the zip is truncated or not a zip; send all of it');
}

const UNIX_TYPE_REFUSED: Readonly<Record<number, string>> = {
  0o120000: 'is a symbolic link: links are not accepted; archive the files they point to (zip without -y)',
  0o020000: 'is a character device: archive only files and directories',
  0o060000: 'is a block device: archive only files and directories',
  0o010000: 'is a FIFO: archive only files and directories',
  0o140000: 'is a socket: archive only files and directories',
};

function centralDirectory(bytes: Buffer, contents: ArchiveContents): CentralEntry[] {
  const end = findEnd(bytes);
  if (end >= 20 && bytes.readUInt32LE(end - 20) === ZIP64_LOCATOR)
    throw refuse(
      'zip64 archives are not supported: send a tar.gz, or a plain zip (under 4 GiB, 65535 files)',
    );
  const disk = bytes.readUInt16LE(end + 4);
  const cdDisk = bytes.readUInt16LE(end + 6);
  const onDisk = bytes.readUInt16LE(end + 8);
  const count = bytes.readUInt16LE(end + 10);
  const cdSize = bytes.readUInt32LE(end + 12);
  const cdOffset = bytes.readUInt32LE(end + 16);
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count)
    throw refuse('multi-part (spanned) zips are not supported: send the archive as one file');
  if (count > contents.limits.files)
    throw tooLarge(
      `${count} entries, above the limit of ${contents.limits.files}: send a smaller part of the tree`,
      { limit: 'files' },
    );
  if (cdOffset + cdSize > end) throw refuse('the zip central directory is out of bounds: the zip is corrupt');
  const entries: CentralEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || bytes.readUInt32LE(at) !== CENTRAL)
      throw refuse('a zip central directory entry is corrupt: send a complete, valid zip');
    const madeBy = bytes.readUInt16LE(at + 4);
    const flags = bytes.readUInt16LE(at + 8);
    const method = bytes.readUInt16LE(at + 10);
    const crc = bytes.readUInt32LE(at + 16);
    const compressed = bytes.readUInt32LE(at + 20);
    const size = bytes.readUInt32LE(at + 24);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const external = bytes.readUInt32LE(at + 38);
    const offset = bytes.readUInt32LE(at + 42);
    const nameBytes = bytes.subarray(at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (at > end) throw refuse('a zip central directory entry is corrupt: send a complete, valid zip');
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      throw refuse(
        `entry ${shown(nameBytes.toString('latin1'))} has a name that is not UTF-8: rename the file`,
      );
    }
    if (compressed === 0xffffffff || size === 0xffffffff || offset === 0xffffffff)
      throw refuse(
        'zip64 entries are not supported: send a tar.gz, or a plain zip (under 4 GiB, 65535 files)',
      );
    if (flags & 0x1) throw refuse(`entry ${shown(name)} is encrypted: send the archive without a password`);
    const mode = madeBy >> 8 === 3 ? external >>> 16 : 0;
    const type = mode & 0o170000;
    const refused = UNIX_TYPE_REFUSED[type];
    if (refused !== undefined) throw refuse(`entry ${shown(name)} ${refused}`);
    const kind = type === 0o040000 || name.endsWith('/') || (external & 0x10) !== 0 ? 'dir' : 'file';
    if (kind === 'file' && method !== 0 && method !== 8)
      throw refuse(
        `entry ${shown(name)} is compressed with zip method ${method}: only stored and deflated entries are read (zip -Z deflate)`,
      );
    const path = contents.admit(name, kind);
    entries.push({
      name,
      nameBytes,
      method,
      crc,
      compressed,
      size,
      offset,
      kind,
      executable: (mode & 0o111) !== 0,
      path,
    });
  }
  return entries;
}

/** Refuses before inflating anything: declared sizes above the limits, ratios of bombs, overlapping data. */
function checkDeclared(
  entries: readonly CentralEntry[],
  contents: ArchiveContents,
  cdOffset: number,
  bytes: Buffer,
): void {
  const { limits } = contents;
  let total = 0;
  for (const entry of entries) {
    if (entry.kind === 'dir' || entry.path === null) continue;
    total += entry.size;
    if (entry.method === 0 && entry.size !== entry.compressed)
      throw refuse(`entry ${shown(entry.name)} is stored with different sizes: the zip is corrupt`);
    if (entry.method === 8 && entry.size > inflateLimit(entry.compressed, Infinity, limits).bytes)
      throw bomb(`entry ${shown(entry.name)}`, entry.compressed, limits);
    if (entry.size > limits.fileBytes) contents.checkSize(entry.path, entry.size);
  }
  if (total > limits.totalBytes)
    throw tooLarge(
      `the files unpack to ${bytesText(total)}, above the limit of ${bytesText(limits.totalBytes)}: send a smaller part of the tree`,
      { limit: 'totalBytes' },
    );
  // Each entry's local header and data lie before the next entry's and the central directory.
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i];
    if (entry === undefined) continue;
    const limit = sorted[i + 1]?.offset ?? cdOffset;
    if (entry.offset + 30 > limit || bytes.readUInt32LE(entry.offset) !== LOCAL)
      throw refuse(
        `the local header of ${shown(entry.name)} is missing or overlaps another entry: the zip is corrupt or crafted`,
      );
    const start =
      entry.offset + 30 + bytes.readUInt16LE(entry.offset + 26) + bytes.readUInt16LE(entry.offset + 28);
    if (start + entry.compressed > limit)
      throw refuse(`the data of ${shown(entry.name)} overlaps another entry: the zip is corrupt or crafted`);
  }
}

/** Reads a zip into `contents`: every name and declared size is admitted before anything is inflated. */
export async function readZip(bytes: Buffer, contents: ArchiveContents): Promise<void> {
  const entries = centralDirectory(bytes, contents);
  const end = findEnd(bytes);
  checkDeclared(entries, contents, bytes.readUInt32LE(end + 16), bytes);
  for (const entry of entries) {
    if (entry.kind === 'dir' || entry.path === null) continue;
    const nameLength = bytes.readUInt16LE(entry.offset + 26);
    const localName = bytes.subarray(entry.offset + 30, entry.offset + 30 + nameLength);
    if (!localName.equals(entry.nameBytes))
      throw refuse(
        `the local header of ${shown(entry.name)} names another file: the zip is corrupt or crafted`,
      );
    const start = entry.offset + 30 + nameLength + bytes.readUInt16LE(entry.offset + 28);
    const raw = bytes.subarray(start, start + entry.compressed);
    let data: Buffer;
    if (entry.method === 0) data = Buffer.from(raw);
    else {
      // At most the declared size (already within the limits and the ratio): more is a lie, stopped mid-way.
      try {
        data = await inflateRaw(raw, { maxOutputLength: Math.max(1, entry.size) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw tooLarge(
            `entry ${shown(entry.name)} inflates past its declared size of ${bytesText(entry.size)}: the zip is crafted (a bomb?)`,
            { limit: 'declared' },
          );
        throw refuse(
          `entry ${shown(entry.name)} does not inflate (${(error as Error).message}): the zip is corrupt`,
        );
      }
    }
    if (data.length !== entry.size || crc32(data) !== entry.crc)
      throw refuse(`entry ${shown(entry.name)} fails its size or CRC-32 check: the zip is corrupt`);
    contents.addFile(entry.path, data, entry.executable);
  }
}

/** MS-DOS time and date of `seconds` (UTC, from 1980). */
function dosTime(seconds: number): { time: number; date: number } {
  const d = new Date(Math.max(seconds * 1000, Date.UTC(1980, 0, 1)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip of `entries` (deflated where that is smaller, UTF-8 names, Unix modes). */
export async function writeZip(entries: readonly TarEntry[]): Promise<Buffer> {
  if (entries.length > 65_535) throw tooLarge('more than 65535 entries do not fit a zip: ask for a tar.gz');
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.dir ? `${entry.path}/` : entry.path);
    const data = entry.data ?? Buffer.alloc(0);
    const deflated = entry.dir || data.length === 0 ? data : await deflateRaw(data);
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(data);
    const { time, date } = dosTime(entry.mtime);
    if (offset + 30 + name.length + body.length > 0xfffffffe)
      throw tooLarge('the instrumented tree is too large for a zip (4 GiB): ask for a tar.gz');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    const mode = (entry.dir ? 0o040000 : 0o100000) | entry.mode;
    central.writeUInt32LE(((mode << 16) | (entry.dir ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
