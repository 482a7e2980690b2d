/**
 * Step 1, scan: the source files of a tree by language. Honours .gitignore (nested ones too) and
 * `--exclude` globs; skips vendored directories, generated, binary, minified, test and already
 * instrumented files, each with its reason. Files are read once here; later steps reuse the text.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LanguageSupport } from './language.js';
import { globMatcher, isIgnored, parseGitignore, type IgnoreRule } from './gitignore.js';

export const VENDORED_DIRS: ReadonlySet<string> = new Set([
  'node_modules',
  'vendor',
  'third_party',
  '.git',
  'dist',
  'build',
  'target',
]);

/** Files above this are not instrumented (generated bundles, data). */
export const MAX_FILE_BYTES = 2 * 1_048_576;
/** A line longer than this marks a minified file. */
export const MAX_LINE = 500;

export type SkipReason =
  | 'gitignored'
  | 'excluded'
  | 'vendored'
  | 'generated'
  | 'binary'
  | 'minified'
  | 'too large'
  | 'test file'
  | 'already instrumented'
  | 'symbolic link'
  | 'not UTF-8';

export interface ScannedFile {
  relPath: string;
  absPath: string;
  support: LanguageSupport;
  source: string;
  bytes: Buffer;
}

export interface SkippedPath {
  relPath: string;
  reason: SkipReason;
  /** The language the file would have been (directories: none). */
  language?: string;
}

export interface ScanResult {
  files: ScannedFile[];
  skipped: SkippedPath[];
}

export interface ScanOpts {
  root: string;
  supports: readonly LanguageSupport[];
  exclude?: readonly string[];
  /** Relative paths never entered nor reported (the output directory inside the root, the manifest). */
  hidden?: ReadonlySet<string>;
}

const GENERATED_NAME = /(?:_pb2(?:_grpc)?\.pyi?|\.pb\.go|\.pb\.(?:cc|h)|\.generated\.\w+)$/;
const GENERATED_TEXT = /Code generated .* DO NOT EDIT|@generated\b/;
const MINIFIED_NAME = /\.min\.(?:js|mjs|cjs)$/;

/** Why a file's name or text keeps it from being instrumented, or null. */
export function fileSkipReason(
  relPath: string,
  bytes: Buffer,
  support: LanguageSupport,
): { reason: SkipReason } | { source: string } {
  if (support.isTestFile(relPath)) return { reason: 'test file' };
  if (bytes.length > MAX_FILE_BYTES) return { reason: 'too large' };
  if (bytes.includes(0)) return { reason: 'binary' };
  if (GENERATED_NAME.test(relPath)) return { reason: 'generated' };
  if (MINIFIED_NAME.test(relPath)) return { reason: 'minified' };
  const source = bytes.toString('utf8');
  if (!Buffer.from(source, 'utf8').equals(bytes)) return { reason: 'not UTF-8' };
  // The generated-code conventions put the marker in the header comment.
  if (GENERATED_TEXT.test(source.slice(0, 4096))) return { reason: 'generated' };
  if (hasLongLine(source)) return { reason: 'minified' };
  if (source.includes(support.marker)) return { reason: 'already instrumented' };
  return { source };
}

function hasLongLine(source: string): boolean {
  let start = 0;
  while (start < source.length) {
    let end = source.indexOf('\n', start);
    if (end < 0) end = source.length;
    if (end - start > MAX_LINE) return true;
    start = end + 1;
  }
  return false;
}

function supportByExtension(supports: readonly LanguageSupport[]): Map<string, LanguageSupport> {
  const map = new Map<string, LanguageSupport>();
  for (const support of supports) for (const ext of support.extensions) map.set(ext, support);
  return map;
}

function extensionOf(name: string, known: ReadonlyMap<string, LanguageSupport>): LanguageSupport | undefined {
  // Longest extension first (`.d.ts` before `.ts`).
  let best: LanguageSupport | undefined;
  let bestLength = 0;
  for (const [ext, support] of known) {
    if (ext.length > bestLength && name.endsWith(ext) && name.length > ext.length) {
      best = support;
      bestLength = ext.length;
    }
  }
  return best;
}

export async function scanTree(opts: ScanOpts): Promise<ScanResult> {
  const byExtension = supportByExtension(opts.supports);
  const excludes = (opts.exclude ?? []).map(globMatcher);
  const hidden = opts.hidden ?? new Set<string>();
  const files: ScannedFile[] = [];
  const skipped: SkippedPath[] = [];
  const pending: Array<Promise<void>> = [];
  const failures: Error[] = [];
  const track = (work: Promise<void>): void => {
    pending.push(
      work.catch((error: unknown) => {
        failures.push(error instanceof Error ? error : new Error('scan failed', { cause: error }));
      }),
    );
  };

  const visit = async (dir: string, rel: string, inherited: readonly IgnoreRule[]): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    let rules = inherited;
    if (entries.some((entry) => entry.name === '.gitignore' && entry.isFile())) {
      const text = await readFile(join(dir, '.gitignore'), 'utf8');
      rules = [...inherited, ...parseGitignore(text, rel)];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (hidden.has(relPath)) continue;
      const absPath = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (VENDORED_DIRS.has(entry.name)) {
          if (entry.name !== '.git') skipped.push({ relPath, reason: 'vendored' });
        } else if (isIgnored(rules, relPath, true)) skipped.push({ relPath, reason: 'gitignored' });
        else if (excludes.some((match) => match(relPath))) skipped.push({ relPath, reason: 'excluded' });
        else track(visit(absPath, relPath, rules));
        continue;
      }
      const support = extensionOf(entry.name, byExtension);
      if (support === undefined) continue;
      const language = support.language;
      if (entry.isSymbolicLink()) skipped.push({ relPath, reason: 'symbolic link', language });
      else if (!entry.isFile()) continue;
      else if (isIgnored(rules, relPath, false)) skipped.push({ relPath, reason: 'gitignored', language });
      else if (excludes.some((match) => match(relPath)))
        skipped.push({ relPath, reason: 'excluded', language });
      else track(readOne(absPath, relPath, support));
    }
  };

  const readOne = async (absPath: string, relPath: string, support: LanguageSupport): Promise<void> => {
    const bytes = await readFile(absPath);
    const verdict = fileSkipReason(relPath, bytes, support);
    if ('reason' in verdict) skipped.push({ relPath, reason: verdict.reason, language: support.language });
    else files.push({ relPath, absPath, support, source: verdict.source, bytes });
  };

  track(visit(opts.root, '', []));
  // Visits add more work while they run: wait until nothing is pending.
  for (let done = 0; done < pending.length; done++) await pending[done];
  const [failure] = failures;
  if (failure !== undefined) throw failure;
  const byPath = (a: { relPath: string }, b: { relPath: string }): number =>
    a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
  files.sort(byPath);
  skipped.sort(byPath);
  return { files, skipped };
}
