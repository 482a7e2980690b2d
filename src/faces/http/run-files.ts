/**
 * Files of one-shot HTTP runs kept for download. A run's sandbox is gone when its answer is sent, so the
 * out/ files too big to come back inline (RunOpts.inlineFiles) are copied by the engine (RunOpts.outDir)
 * into a directory of the run's own under the server's data dir, and the result gives each a `url`:
 * GET /v1/runs/<id>/files/<path>, with the same token as the run (the id is 144 random bits, never listed).
 * They are removed `ttlMs` after the run, when the server closes, or, for a server that died without
 * closing, by the next server that starts on the same data dir. `maxBytes` bounds the disk they take.
 */
import { randomBytes } from 'node:crypto';
import { constants as C, readFileSync, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { OutputFileInfoSchema, type RunResult, type SkippedFile } from '../../engine/result.js';
import { FileNotFoundError } from '../../errors.js';
import type { Principal } from '../../access/guard-types.js';
import { OCTET_STREAM } from '../../sandbox/media-types.js';
import { ownerKey } from './inflight.js';

export const DEFAULT_RUN_FILES = { ttlMs: 3_600_000, maxBytes: 4 * 1_073_741_824 } as const;

export const RunFilesOptsSchema = z
  .object({
    ttlMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 86_400_000)
      .describe(
        `How long after a one-shot run its files stay downloadable by their url (default ${DEFAULT_RUN_FILES.ttlMs} ms, 1 hour)`,
      ),
    maxBytes: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe(
        `Most bytes of run files kept for download at once (default ${DEFAULT_RUN_FILES.maxBytes}, 4 GiB); ` +
          'a run whose files would pass it gets them in filesSkipped instead (0: keep none)',
      ),
    dir: z
      .string()
      .min(1)
      .describe(
        "Where kept files live (default <the library's home>/run-files); each server uses a subdirectory",
      ),
  })
  .partial()
  .strict();
export type RunFilesOpts = z.infer<typeof RunFilesOptsSchema>;

/** What GET /v1/runs/:id/files answers: the files a run kept for download, and until when. */
export const KeptFilesSchema = z.object({
  files: z.array(OutputFileInfoSchema).describe('Each kept file with its url'),
  expiresAt: z.string().describe('When they are removed (ISO 8601)'),
});
export type KeptFiles = z.infer<typeof KeptFilesSchema>;

/** A file ready to send. */
export interface KeptFile {
  bytes: number;
  mediaType: string;
  stream: ReadStream;
}

interface KeptRun {
  dir: string;
  owner: string;
  /** Path (as in the result) -> what it is. */
  files: Map<string, { bytes: number; mediaType: string }>;
  bytes: number;
  timer: NodeJS.Timeout;
  expiresAt: number;
}

/** A run's slot: the id its url will name and where the engine copies its out/ files. */
export interface RunFilesSlot {
  id: string;
  dir: string;
}

/**
 * A server's subdirectory: `<pid>-<start>-<random>`, so a later server can tell whether its owner still
 * runs: the same pid with the same start time (a restarted container's server often has the same pid).
 */
const INSTANCE_DIR = /^(\d+)-(\d+)-[0-9a-f]{16}$/;

/** When process `pid` started (clock ticks after boot, /proc/<pid>/stat field 22), or null if it is gone. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which may hold spaces and parentheses: field 22 is the 20th of them.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** `/v1/runs/<id>/files/<path>`, each path segment percent-encoded. */
export function runFileUrl(id: string, path: string): string {
  return `/v1/runs/${id}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export class RunFiles {
  private readonly runs = new Map<string, KeptRun>();
  private bytes = 0;
  private closed = false;

  private constructor(
    private readonly root: string,
    private readonly ttlMs: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Creates this server's directory under `dir` (mode 0700), after removing those left by servers that
   * are no longer running (a crash skips close()).
   */
  static async open(dir: string, opts: RunFilesOpts = {}): Promise<RunFiles> {
    const parent = resolve(dir);
    await mkdir(parent, { recursive: true, mode: 0o700 });
    for (const name of await readdir(parent)) {
      const [, pid, start] = INSTANCE_DIR.exec(name) ?? [];
      if (pid !== undefined && start !== processStart(Number(pid)))
        await rm(join(parent, name), { recursive: true, force: true });
    }
    const self = `${process.pid}-${processStart(process.pid) ?? 0}`;
    const root = join(parent, `${self}-${randomBytes(8).toString('hex')}`);
    await mkdir(root, { mode: 0o700 });
    const { ttlMs, maxBytes } = { ...DEFAULT_RUN_FILES, ...opts };
    return new RunFiles(root, ttlMs, maxBytes);
  }

  /**
   * Runs `run` with a directory for its out/ files (pass it as RunOpts.outDir), then keeps the files that
   * came back without content for download; the directory is removed whatever happens otherwise.
   */
  async around(principal: Principal, run: (outDir: string) => Promise<RunResult>): Promise<RunResult> {
    const id = randomBytes(18).toString('base64url');
    const slot = { id, dir: join(this.root, id) };
    try {
      return await this.keep(slot, principal, await run(slot.dir));
    } catch (err) {
      await rm(slot.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The files run `id` kept, with their urls; FILE_NOT_FOUND when there are none for this caller. */
  list(id: string, principal: Principal): KeptFiles {
    const run = this.run(id, principal);
    const files = [...run.files].map(([path, file]) => ({ path, ...file, url: runFileUrl(id, path) }));
    return { files, expiresAt: new Date(run.expiresAt).toISOString() };
  }

  /** A kept file of run `id`, opened; FILE_NOT_FOUND when it is not there for this caller. */
  async openFile(id: string, path: string, principal: Principal): Promise<KeptFile> {
    const run = this.run(id, principal);
    const file = run.files.get(path);
    if (!file) {
      const kept = [...run.files.keys()].slice(0, 20).join(', ');
      throw new FileNotFoundError(`run ${id} has no kept file ${JSON.stringify(path)}; it has: ${kept}`);
    }
    // Our own copy, in a directory no sandbox can reach; O_NOFOLLOW all the same.
    const fh = await open(join(run.dir, path), C.O_RDONLY | C.O_NOFOLLOW).catch((cause: unknown) => {
      // Expired between the lookup and the open.
      throw new FileNotFoundError(`run ${id}'s file ${JSON.stringify(path)} is gone (its files expired)`, {
        cause,
      });
    });
    return { ...file, stream: fh.createReadStream() };
  }

  /** Removes every kept file and this server's directory; later runs keep nothing. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.runs.values()) clearTimeout(run.timer);
    this.runs.clear();
    this.bytes = 0;
    await rm(this.root, { recursive: true, force: true });
  }

  private run(id: string, principal: Principal): KeptRun {
    const run = this.runs.get(id);
    if (!run || run.owner !== ownerKey(principal)) {
      throw new FileNotFoundError(
        `no files kept for run ${id} for this caller: a run's files stay ${Math.round(this.ttlMs / 1000)} s ` +
          'after it (the server option --files-ttl), for the token that ran it only; run it again',
      );
    }
    return run;
  }

  /** The result with a url for each file returned without content, kept until the ttl passes. */
  private async keep(slot: RunFilesSlot, principal: Principal, result: RunResult): Promise<RunResult> {
    const pending = result.files.filter((file) => file.content === undefined);
    const inlined = result.files.filter((file) => file.content !== undefined);
    const bytes = pending.reduce((sum, file) => sum + file.bytes, 0);
    if (pending.length === 0 || this.closed || this.bytes + bytes > this.maxBytes) {
      await rm(slot.dir, { recursive: true, force: true });
      if (pending.length === 0) return result;
      const why = this.closed
        ? 'the server is shutting down'
        : `the server keeps at most ${this.maxBytes} bytes of run files for download and ` +
          `${this.maxBytes - this.bytes} are free; retry later, or write smaller files`;
      const skipped: SkippedFile[] = pending.map((file) => ({
        path: file.path,
        reason: `${file.bytes} bytes: too big to return inline, and not kept for download (${why})`,
      }));
      return { ...result, files: inlined, filesSkipped: [...result.filesSkipped, ...skipped] };
    }
    // The inlined files' copies are not needed: only the others are served.
    await Promise.all(inlined.map((file) => rm(join(slot.dir, file.path), { force: true })));
    const timer = setTimeout(() => void this.expire(slot.id), this.ttlMs);
    timer.unref();
    const files = new Map(
      pending.map((file) => [file.path, { bytes: file.bytes, mediaType: file.mediaType ?? OCTET_STREAM }]),
    );
    const expiresAt = Date.now() + this.ttlMs;
    this.runs.set(slot.id, { dir: slot.dir, owner: ownerKey(principal), files, bytes, timer, expiresAt });
    this.bytes += bytes;
    return {
      ...result,
      files: result.files.map((file) =>
        file.content === undefined ? { ...file, url: runFileUrl(slot.id, file.path) } : file,
      ),
    };
  }

  private async expire(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    this.bytes -= run.bytes;
    await rm(run.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
