/** What a finished sandbox job reports, and the small pieces that compute it. */
import { constants as osConstants } from 'node:os';
import type { CgroupUsage } from './cgroups.js';

export type KillReason = 'timeout' | 'cpu' | 'output_limit' | 'cancelled';

export interface SyntaxReport {
  line: number;
  column: number;
  message: string;
}

export interface SandboxRunOutcome {
  /** True once the runner said the script passed its syntax check and was started. */
  started: boolean;
  /** Why the host could not place or confine the job, when it could not. */
  setupError: string | null;
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  truncated: { stdout: boolean; stderr: boolean };
  killedFor: KillReason | null;
  syntax: SyntaxReport | null;
  usage: CgroupUsage & { wallMs: number };
  /** The work dir or /tmp filled up (tmpfs size cap reached). */
  diskFull: boolean;
}

/** Exit code and signal name; bwrap reports a command killed by signal N as 128 + N, like a shell. */
export function exitStatus(
  code: number | null,
  signalCode: NodeJS.Signals | null,
): { exitCode: number | null; signal: string | null } {
  if (code !== null && code > 128 && code < 128 + 65)
    return { exitCode: null, signal: signalName(code - 128) };
  if (code !== null) return { exitCode: code, signal: null };
  return { exitCode: null, signal: signalCode ?? 'SIGKILL' };
}

function signalName(signo: number): string {
  const entry = Object.entries(osConstants.signals).find(([, value]) => value === signo);
  return entry ? entry[0] : `SIG${signo}`;
}

/** The runner's reports on the status fd: `ready`, then `ok` or `syntax <line> <col>\n<message>`. */
export function parseStatus(text: string): { started: boolean; syntax: SyntaxReport | null } {
  if (text.startsWith('ready\nok\n')) return { started: true, syntax: null };
  const match = /^ready\nsyntax (\d+) (\d+)\n([\s\S]*)$/.exec(text);
  if (!match) return { started: false, syntax: null };
  return {
    started: false,
    syntax: { line: Number(match[1]), column: Number(match[2]), message: (match[3] ?? '').trim() },
  };
}

/** Keeps at most `max` bytes; push() returns false once more than that arrived. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  /** Bytes that still fit. */
  get room(): number {
    return this.max - this.size;
  }

  push(chunk: Buffer): boolean {
    const room = this.max - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.max;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  /** The kept bytes; when truncated, without a trailing partial UTF-8 character. */
  buffer(): Buffer {
    const all = Buffer.concat(this.chunks);
    return this.truncated ? all.subarray(0, utf8Boundary(all)) : all;
  }
}

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. */
export function utf8Boundary(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
