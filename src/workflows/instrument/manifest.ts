/**
 * The manifest `.scriptbox-instrument.json` at the root of an instrumented tree: per file the original's
 * sha256 and the ranges instrumentation inserted (as byte ranges of the instrumented file, with the
 * original text an edit replaced), plus the runtime files written. `--remove` deletes exactly those
 * ranges and writes the result only when it hashes to the original; otherwise it refuses that file.
 */
import { createHash } from 'node:crypto';
import { readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ScriptboxError } from '../../errors.js';
import { TOOL_VERSION } from './insertion-script.js';
import type { InsertedRange } from './rebuild.js';

export const MANIFEST_NAME = '.scriptbox-instrument.json';

const RangeSchema = z.object({
  at: z.number().int().min(0),
  length: z.number().int().min(0),
  deleted: z.string(),
});

const FileEntrySchema = z.object({
  language: z.string(),
  originalSha256: z.string().length(64),
  instrumentedSha256: z.string().length(64),
  ranges: z.array(RangeSchema),
});
export type ManifestFile = z.infer<typeof FileEntrySchema>;

export const ManifestSchema = z.object({
  version: z.literal(1),
  tool: z.string(),
  files: z.record(z.string(), FileEntrySchema),
  runtimeFiles: z.record(z.string(), z.object({ sha256: z.string().length(64) })),
  /** Directories created for runtime files (removed again when empty). */
  createdDirs: z.array(z.string()).default([]),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function emptyManifest(): Manifest {
  return { version: 1, tool: TOOL_VERSION, files: {}, runtimeFiles: {}, createdDirs: [] };
}

/** The manifest of `root`, or null when there is none. Throws when it exists but does not parse. */
export async function readManifest(root: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(root, MANIFEST_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = ManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new ScriptboxError('USAGE', `${join(root, MANIFEST_NAME)} is not a valid manifest`);
  return parsed.data;
}

export async function writeManifest(root: string, manifest: Manifest): Promise<void> {
  await writeFile(join(root, MANIFEST_NAME), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** The original bytes back from an instrumented file: ranges replaced by what they deleted, bottom up. */
export function removeRanges(instrumented: Buffer, ranges: readonly InsertedRange[]): Buffer {
  const sorted = [...ranges].sort((a, b) => b.at - a.at);
  let data = instrumented;
  for (const range of sorted) {
    if (range.at + range.length > data.length)
      throw new Error(`a range at byte ${range.at} runs past the end`);
    data = Buffer.concat([
      data.subarray(0, range.at),
      Buffer.from(range.deleted, 'utf8'),
      data.subarray(range.at + range.length),
    ]);
  }
  return data;
}

export interface RemoveOutcome {
  /** Files given back their original bytes. */
  restored: string[];
  /** Files already identical to their original. */
  unchanged: string[];
  /** Files left as they are, with why (changed since instrumentation, missing). */
  refused: Array<{ path: string; reason: string }>;
  /** Runtime files deleted. */
  runtimeRemoved: string[];
  /** Whether the manifest itself was deleted (nothing was refused). */
  manifestRemoved: boolean;
}

/** Restores one file from its entry; returns what happened. */
export async function restoreFile(
  root: string,
  relPath: string,
  entry: ManifestFile,
): Promise<'restored' | 'unchanged' | { refused: string }> {
  let current: Buffer;
  try {
    current = await readFile(join(root, relPath));
  } catch {
    return { refused: 'missing' };
  }
  if (sha256(current) === entry.originalSha256) return 'unchanged';
  let restored: Buffer;
  try {
    restored = removeRanges(current, entry.ranges);
  } catch (error) {
    return { refused: `changed since instrumentation (${(error as Error).message})` };
  }
  if (sha256(restored) !== entry.originalSha256)
    return {
      refused: 'changed since instrumentation: removing the inserted ranges does not give the original',
    };
  await writeFile(join(root, relPath), restored);
  return 'restored';
}

/** Restores every file of the manifest, deletes unchanged runtime files, then the manifest if all went well. */
export async function removeWithManifest(root: string, manifest: Manifest): Promise<RemoveOutcome> {
  const outcome: RemoveOutcome = {
    restored: [],
    unchanged: [],
    refused: [],
    runtimeRemoved: [],
    manifestRemoved: false,
  };
  const left: Manifest = { ...manifest, files: {}, runtimeFiles: {} };
  for (const [path, entry] of Object.entries(manifest.files)) {
    const result = await restoreFile(root, path, entry);
    if (result === 'restored') outcome.restored.push(path);
    else if (result === 'unchanged') outcome.unchanged.push(path);
    else {
      outcome.refused.push({ path, reason: result.refused });
      left.files[path] = entry;
    }
  }
  for (const [path, entry] of Object.entries(manifest.runtimeFiles)) {
    let current: Buffer | null = null;
    try {
      current = await readFile(join(root, path));
    } catch {
      continue; // already gone
    }
    if (sha256(current) !== entry.sha256) {
      outcome.refused.push({ path, reason: 'runtime file changed since instrumentation' });
      left.runtimeFiles[path] = entry;
      continue;
    }
    await rm(join(root, path));
    outcome.runtimeRemoved.push(path);
  }
  for (const dir of [...manifest.createdDirs].sort((a, b) => b.length - a.length)) {
    await rmdir(join(root, dir)).catch(() => undefined); // only when empty
  }
  if (outcome.refused.length === 0) {
    await rm(join(root, MANIFEST_NAME), { force: true });
    outcome.manifestRemoved = true;
  } else await writeManifest(root, left);
  return outcome;
}

/** The parent directories of `relPath`, deepest first (`a/b/c.py` → `a/b`, `a`). */
export function parentDirs(relPath: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(relPath); dir !== '.' && dir !== '' && dir !== '/'; dir = dirname(dir))
    dirs.push(dir);
  return dirs;
}
