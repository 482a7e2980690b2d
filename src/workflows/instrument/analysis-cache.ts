/**
 * Step 2 with memory: each file's analysis (FileAnalysis + comment spans) is memoised in the library,
 * keyed by the sha256 of what it is derived from — the analysis code, the language, the grammar, the path
 * and the file's bytes — so an unchanged file is not parsed again. One memo read per run and one write
 * transaction for the new analyses. Only modules whose analysis is plain data (`plainAnalysis`) take part;
 * only successful analyses are kept (a refused file is parsed again and says why again). Without a
 * library, every file is analysed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Library } from '../../library/index.js';
import { analyzeFile, grammarOf, type AnalyzeOutcome } from './analyze.js';
import { TOOL_VERSION } from './insertion-script.js';
import type { FileAnalysis } from './model.js';
import type { CommentSpan } from './rebuild.js';
import type { ScannedFile } from './scan.js';

export const ANALYSIS_NAMESPACE = 'instrument-analysis';
/** The memo keeps this many analyses (files), the newest; older ones are dropped as new ones come. */
export const ANALYSES_KEPT = 10_000;

/** What is memoised for a file. */
interface StoredAnalysis {
  analysis: FileAnalysis;
  comments: CommentSpan[];
}

let codeVersion: string | null | undefined;

/**
 * A hash of the code an analysis depends on: the language modules, the analysis step and the range model,
 * the syntax-tree copy, and the tree-sitter runtime and grammar packages. Any change to them (a new
 * scriptbox, an edited checkout) starts from fresh analyses, without relying on a bumped TOOL_VERSION.
 * Computed once per process (a few dozen small files); null when that code cannot be read (an unusual
 * install): then nothing is memoised.
 */
export function analysisCodeVersion(): string | null {
  if (codeVersion !== undefined) return codeVersion;
  try {
    codeVersion = hashAnalysisCode();
  } catch {
    codeVersion = null;
  }
  return codeVersion;
}

function hashAnalysisCode(): string {
  const hash = createHash('sha256').update(TOOL_VERSION);
  const here = fileURLToPath(new URL('.', import.meta.url));
  const sources: Array<[string, RegExp]> = [
    [here, /^(analyze|model|language)\.[cm]?[jt]s$/],
    [join(here, 'languages'), /\.[cm]?[jt]s$/],
    [fileURLToPath(new URL('../../check/', import.meta.url)), /^(parsers|tree)\.[cm]?[jt]s$/],
  ];
  for (const [dir, pattern] of sources) {
    const names = readdirSync(dir).filter((entry) => pattern.test(entry));
    for (const name of names.sort()) hash.update(`\0${name}\0`).update(readFileSync(join(dir, name)));
  }
  const require = createRequire(import.meta.url);
  for (const pkg of ['web-tree-sitter', 'tree-sitter-wasms']) {
    const { version } = require(`${pkg}/package.json`) as { version: string };
    hash.update(`\0${pkg}@${version}`);
  }
  return hash.digest('hex');
}

/** The memo key of a file's analysis (given the code version). */
export function analysisKey(file: ScannedFile, code = analysisCodeVersion()): string {
  const material = JSON.stringify([code, file.support.language, grammarOf(file), file.relPath]);
  return createHash('sha256').update(material).update('\0').update(file.bytes).digest('hex');
}

/** A memo value that has the shape of a stored analysis of `file`'s language (else it is ignored). */
function storedFor(value: unknown, file: ScannedFile): StoredAnalysis | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { analysis, comments } = value as Partial<StoredAnalysis>;
  if (typeof analysis !== 'object' || analysis === null || !Array.isArray(comments)) return undefined;
  if (analysis.language !== file.support.language || !Array.isArray(analysis.functions)) return undefined;
  return { analysis, comments };
}

export interface AnalyzedFiles {
  outcomes: AnalyzeOutcome[];
  /** Files whose analysis came from the memo. */
  reused: number;
}

/**
 * Analyses `files` in order, reusing memoised analyses from `library` and storing the new ones (unless
 * `store` is false: a dry run writes nothing).
 */
export async function analyzeFilesCached(
  files: readonly ScannedFile[],
  library: Library | undefined,
  opts: { store?: boolean } = {},
): Promise<AnalyzedFiles> {
  const code = library === undefined ? null : analysisCodeVersion();
  const cacheable = code === null ? [] : files.filter((file) => file.support.plainAnalysis === true);
  const keys = new Map(cacheable.map((file) => [file, analysisKey(file, code)]));
  const found =
    library === undefined || keys.size === 0
      ? new Map<string, unknown>()
      : library.memoGetMany(ANALYSIS_NAMESPACE, [...keys.values()]);
  const outcomes: AnalyzeOutcome[] = [];
  const fresh: Array<{ key: string; value: StoredAnalysis }> = [];
  let reused = 0;
  for (const file of files) {
    const key = keys.get(file);
    const stored = key === undefined ? undefined : storedFor(found.get(key), file);
    if (stored !== undefined) {
      outcomes.push({ ok: true, file, ...stored });
      reused++;
      continue;
    }
    const outcome = await analyzeFile(file);
    outcomes.push(outcome);
    if (key !== undefined && outcome.ok)
      fresh.push({ key, value: { analysis: outcome.analysis, comments: outcome.comments } });
  }
  if (library !== undefined && opts.store !== false && fresh.length > 0)
    library.memoPutMany(ANALYSIS_NAMESPACE, fresh, { keep: ANALYSES_KEPT });
  return { outcomes, reused };
}
