/**
 * tar, read and written by hand (it is 512-byte blocks): ustar and GNU headers, pax extended headers
 * (`path`, `size`) and GNU long names are read; links, devices, FIFOs and sparse files are refused. What
 * is written is ustar, with a pax header for a path that does not fit.
 */
import { refuse, shown, type ArchiveContents } from './limits.js';

const BLOCK = 512;
/** Most bytes of a pax header or GNU long name we read (real ones are a few hundred). */
const MAX_META_BYTES = 65_536;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw refuse(`${what} is not UTF-8: rename the file with a UTF-8 name`);
  }
}

/** A NUL-terminated header field as bytes. */
function field(header: Buffer, start: number, length: number): Buffer {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return end < 0 ? bytes : bytes.subarray(0, end);
}

/** A numeric field: octal (spaces and NULs around it), or GNU's base-256 when its high bit is set. */
function numeric(header: Buffer, start: number, length: number): number {
  const first = header[start] ?? 0;
  if (first & 0x80) {
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (header[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw refuse('a tar header holds a size too large to be real');
    return value;
  }
  const digits = field(header, start, length).toString('latin1').trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw refuse('a tar header has a malformed number: the archive is corrupt');
  return parseInt(digits, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  const stored = field(header, 148, 8).toString('latin1').trim();
  return /^[0-7]+$/.test(stored) && parseInt(stored, 8) === sum;
}

const isZeroBlock = (block: Buffer): boolean => block.every((byte) => byte === 0);

/** Whether `bytes` starts with a tar header (a valid checksum). */
export function looksLikeTar(bytes: Buffer): boolean {
  return (
    bytes.length >= BLOCK && !isZeroBlock(bytes.subarray(0, BLOCK)) && checksumOk(bytes.subarray(0, BLOCK))
  );
}

/** pax records: `<length> <key>=<value>\n`. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space < 0 ? NaN : Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= 0 || at + length > data.length) {
      if (data.subarray(at).every((byte) => byte === 0)) break;
      throw refuse('a pax header is malformed: the archive is corrupt');
    }
    const record = text(data.subarray(space + 1, at + length - 1), 'a pax header');
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

const KIND_REFUSED: Readonly<Record<string, string>> = {
  '1': 'is a hard link: archive the file itself (tar --hard-dereference)',
  '2': 'is a symbolic link: links are not accepted; archive the files they point to (tar --dereference)',
  '3': 'is a character device: archive only files and directories',
  '4': 'is a block device: archive only files and directories',
  '6': 'is a FIFO: archive only files and directories',
  S: 'is a sparse file: archive it as a regular file (without --sparse)',
};

/** Reads a tar stream into `contents`, admitting each entry before its data is taken. */
export function readTar(bytes: Buffer, contents: ArchiveContents): void {
  let offset = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let ended = false;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) {
      ended = true;
      break;
    }
    if (!checksumOk(header))
      throw refuse(
        `the tar header at byte ${offset} is corrupt (bad checksum): send a complete, valid archive`,
      );
    const type = String.fromCharCode(header[156] ?? 0);
    const paxSize = pax.get('size');
    if (paxSize !== undefined && !/^\d+$/.test(paxSize)) throw refuse('a pax header has a malformed size');
    const size =
      paxSize !== undefined && type !== 'x' && type !== 'g' ? Number(paxSize) : numeric(header, 124, 12);
    const start = offset + BLOCK;
    if (start + size > bytes.length)
      throw refuse('the tar stream ends inside an entry: the archive is truncated; send all of it');
    const data = (): Buffer => bytes.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > MAX_META_BYTES)
        throw refuse(`a tar ${type} header of ${size} bytes is too large to be real`);
      if (type === 'x') pax = paxRecords(data());
      else if (type === 'L') longName = text(field(data(), 0, size), 'a long file name');
      // 'g' (global pax) and 'K' (a link's long target) change nothing we keep.
      continue;
    }
    const prefix = field(header, 345, 155);
    const short = field(header, 0, 100);
    const name =
      pax.get('path') ??
      longName ??
      text(prefix.length > 0 ? Buffer.concat([prefix, Buffer.from('/'), short]) : short, 'a file name');
    pax = new Map();
    longName = undefined;

    const refused = KIND_REFUSED[type];
    if (refused !== undefined) throw refuse(`entry ${shown(name)} ${refused}`);
    const isDir = type === '5' || ((type === '0' || type === '\0') && name.endsWith('/'));
    if (isDir) {
      contents.admit(name, 'dir');
      continue;
    }
    if (type !== '0' && type !== '\0' && type !== '7')
      throw refuse(
        `entry ${shown(name)} has tar type "${type}", which is not a file or directory: leave it out`,
      );
    const path = contents.admit(name, 'file');
    if (path === null) continue;
    contents.checkSize(path, size);
    const mode = numeric(header, 100, 8);
    contents.addFile(path, Buffer.from(data()), (mode & 0o111) !== 0);
  }
  if (!ended && offset < bytes.length)
    throw refuse('the tar stream ends inside a header: the archive is truncated; send all of it');
  if (pax.size > 0 || longName !== undefined) throw refuse('the tar stream ends after an extended header');
}

export interface TarEntry {
  path: string;
  dir: boolean;
  data?: Buffer;
  mode: number;
  mtime: number;
}

function octalField(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function header(
  name: Buffer,
  prefix: Buffer,
  type: string,
  size: number,
  mode: number,
  mtime: number,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  block.write(octalField(mode, 8), 100, 'latin1');
  block.write(octalField(0, 8), 108, 'latin1');
  block.write(octalField(0, 8), 116, 'latin1');
  block.write(octalField(size, 12), 124, 'latin1');
  block.write(octalField(Math.max(0, Math.floor(mtime)), 12), 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  prefix.copy(block, 345);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return block;
}

/** ustar's name (100 bytes) and prefix (155 bytes) for `path`, or null when it needs a pax header. */
function split(path: Buffer): [Buffer, Buffer] | null {
  if (path.length <= 100) return [path, Buffer.alloc(0)];
  for (let at = path.indexOf(0x2f); at >= 0; at = path.indexOf(0x2f, at + 1)) {
    if (at <= 155 && path.length - at - 1 <= 100 && path.length - at - 1 > 0)
      return [path.subarray(at + 1), path.subarray(0, at)];
  }
  return null;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, Buffer.alloc(BLOCK - rest)];
}

/** A tar stream of `entries` (directories end their path with `/`). */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const path = Buffer.from(entry.dir ? `${entry.path}/` : entry.path);
    const data = entry.data ?? Buffer.alloc(0);
    let fits = split(path);
    if (fits === null) {
      const line = ` path=${entry.path}${entry.dir ? '/' : ''}\n`;
      let length = Buffer.byteLength(line) + 1;
      while (Buffer.byteLength(`${length}${line}`) !== length) length = Buffer.byteLength(`${length}${line}`);
      const record = Buffer.from(`${length}${line}`);
      parts.push(header(Buffer.from('PaxHeader'), Buffer.alloc(0), 'x', record.length, 0o644, entry.mtime));
      parts.push(...padded(record));
      fits = [path.subarray(Math.max(0, path.length - 100)), Buffer.alloc(0)];
    }
    const [name, prefix] = fits;
    parts.push(
      header(name, prefix, entry.dir ? '5' : '0', entry.dir ? 0 : data.length, entry.mode, entry.mtime),
    );
    if (!entry.dir && data.length > 0) parts.push(...padded(data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
