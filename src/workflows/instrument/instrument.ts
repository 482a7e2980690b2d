/**
 * instrumentTree(engine, opts): the pipeline, one module per step — scan, analyse, insertion requests and
 * scripts, the cache (one read), static checks of new scripts, sandbox batches, rebuild, runtime files,
 * manifest. Idempotent: a file carrying its language's marker is left as it is, and so is a tree whose
 * files all carry it.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { Engine } from '../../engine/engine.js';
import { ScriptboxError, UsageError } from '../../errors.js';
import type { Library } from '../../library/index.js';
import { parseOptions } from '../../parse-options.js';
import { analyzeFilesCached } from './analysis-cache.js';
import { copyTree } from './copy-tree.js';
import type { FileContext, LanguageSupport } from './language.js';
import { SUPPORTS } from './languages/index.js';
import {
  emptyManifest,
  MANIFEST_NAME,
  parentDirs,
  readManifest,
  sha256,
  writeManifest,
  type Manifest,
} from './manifest.js';
import { INSTRUMENT_LANGUAGES, type InstrumentLanguage } from './model.js';
import { rebuildFile } from './rebuild.js';
import { collectFileEdits, planFunctions, preludeEdits, type SkippedFunction } from './requests.js';
import { checkScripts, DEFAULT_WORKERS, runJobs, type BatchJob } from './sandbox-batch.js';
import { scanTree } from './scan.js';
import { libraryScriptCache, memoryScriptCache } from './script-cache.js';

export interface InstrumentProgress {
  phase: 'scan' | 'analyze' | 'check' | 'sandbox' | 'write';
  done: number;
  total: number;
}

export const InstrumentOptsSchema = z
  .object({
    root: z.string().min(1).describe('The tree to instrument'),
    out: z.string().min(1).optional().describe('Write the instrumented copy here (a new or empty directory)'),
    inPlace: z.boolean().optional().describe('Instrument the tree itself'),
    languages: z
      .array(z.enum(INSTRUMENT_LANGUAGES))
      .optional()
      .describe('Only these languages (default: all)'),
    exclude: z.array(z.string().min(1)).default([]).describe('Globs of paths to leave alone'),
    workers: z.number().int().min(1).max(64).default(DEFAULT_WORKERS).describe('Sandbox runs in flight'),
    dryRun: z.boolean().default(false).describe('Scan, analyse and plan; run and write nothing'),
    library: z.custom<Library>((value) => typeof value === 'object' && value !== null).optional(),
    supports: z
      .array(z.custom<LanguageSupport>((value) => typeof value === 'object' && value !== null))
      .optional()
      .describe('Language modules to use instead of the registered ones (embedding, tests)'),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: z
      .custom<(progress: InstrumentProgress) => void>((value) => typeof value === 'function')
      .optional(),
  })
  .strict();
export type InstrumentOpts = z.input<typeof InstrumentOptsSchema>;

export interface InstrumentResult {
  root: string;
  /** Where the instrumented tree is (the root itself in place; null on a dry run). */
  out: string | null;
  dryRun: boolean;
  files: {
    scanned: number;
    instrumented: string[];
    skipped: Array<{ path: string; reason: string }>;
  };
  functions: {
    found: number;
    instrumented: number;
    skipped: SkippedFunction[];
    skippedByReason: Record<string, number>;
  };
  byLanguage: Record<string, { files: number; functions: number; instrumented: number }>;
  /** Insertion scripts found, made and refused; analyses reused from the library's memo. */
  cache: { hits: number; misses: number; refused: number; analysesReused: number };
  runtimeFiles: string[];
  timings: Record<
    'scan' | 'analyze' | 'plan' | 'cache' | 'check' | 'sandbox' | 'rebuild' | 'write' | 'total',
    number
  >;
}

const within = (parent: string, child: string): boolean => child === parent || child.startsWith(parent + sep);

/**
 * How long the first batch waits for the warm sandbox asked for at the beginning: a start takes tens of
 * milliseconds. Longer means the start is failing (the pool retries) or, on a shared engine, other runs
 * keep taking the warm sandboxes: then the batch starts its own, as it would without a pool.
 */
const WARM_WAIT_MS = 300;

async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

async function isEmptyDir(path: string): Promise<boolean | null> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function chooseSupports(
  languages: readonly string[] | undefined,
  registered: readonly LanguageSupport[],
): LanguageSupport[] {
  if (languages === undefined || languages.length === 0) return [...registered];
  const missing = languages.filter(
    (language) => !registered.some((support) => support.language === language),
  );
  if (missing.length > 0) {
    const have = registered.map((support) => support.language).join(', ') || 'none';
    throw new UsageError(`no instrumentation module for ${missing.join(', ')} yet (available: ${have})`);
  }
  return registered.filter((support) => languages.includes(support.language));
}

export async function instrumentTree(engine: Engine, raw: InstrumentOpts): Promise<InstrumentResult> {
  const opts = parseOptions(InstrumentOptsSchema, raw, 'instrument options');
  const started = performance.now();
  const timings: InstrumentResult['timings'] = {
    scan: 0,
    analyze: 0,
    plan: 0,
    cache: 0,
    check: 0,
    sandbox: 0,
    rebuild: 0,
    write: 0,
    total: 0,
  };
  let mark = started;
  const lap = (step: keyof InstrumentResult['timings']): void => {
    const now = performance.now();
    timings[step] = Math.round((now - mark) * 100) / 100;
    mark = now;
  };
  const cancelled = (): void => {
    if (opts.signal?.aborted)
      throw new ScriptboxError('CANCELLED', 'instrumentation was cancelled', { cause: opts.signal.reason });
  };
  const progress = (phase: InstrumentProgress['phase'], done: number, total: number): void =>
    opts.onProgress?.({ phase, done, total });

  const root = resolve(opts.root);
  if (!(await stat(root).catch(() => null))?.isDirectory())
    throw new UsageError(`${opts.root} is not a directory`);
  if (opts.out !== undefined && opts.inPlace === true)
    throw new UsageError('give --out or --in-place, not both');
  if (!opts.dryRun && opts.out === undefined && opts.inPlace !== true)
    throw new UsageError('say where the instrumented tree goes: --out <dir>, or --in-place');
  const out = opts.dryRun ? null : opts.inPlace === true ? root : resolve(opts.out ?? '');
  if (out !== null && opts.inPlace !== true) {
    if (within(out, root))
      throw new UsageError('--out cannot be the tree itself or a directory above it (use --in-place)');
    if ((await isEmptyDir(out)) === false)
      throw new UsageError(`${opts.out ?? out} is not empty: give a new or empty directory`);
  }
  const supports = chooseSupports(opts.languages, opts.supports ?? SUPPORTS);
  // The insertion batches run Python: have the warm sandbox start while the tree is scanned and analysed.
  // The first batch waits for it rather than starting a second sandbox next to it (which would compete
  // with it for the CPU and take longer than the rest of its start); failing, it just is not there.
  const warming = opts.dryRun ? Promise.resolve() : engine.warm('python').catch(() => undefined);

  // 1. scan (the manifest and the runtime files of an earlier run are not sources).
  const previous = await readManifest(root);
  const hidden = new Set<string>([MANIFEST_NAME, ...Object.keys(previous?.runtimeFiles ?? {})]);
  if (opts.out !== undefined && within(root, resolve(opts.out)))
    hidden.add(relative(root, resolve(opts.out)).split(sep).join('/'));
  progress('scan', 0, 1);
  const scan = await scanTree({ root, supports, exclude: opts.exclude, hidden });
  lap('scan');
  cancelled();

  // 2. analyse (unchanged files: the library's memoised analysis).
  const { outcomes, reused: analysesReused } = await analyzeFilesCached(scan.files, opts.library, {
    store: !opts.dryRun,
  });
  const skippedFiles: Array<{ path: string; reason: string }> = scan.skipped.map(({ relPath, reason }) => ({
    path: relPath,
    reason,
  }));
  for (const outcome of outcomes)
    if (!outcome.ok) skippedFiles.push({ path: outcome.file.relPath, reason: outcome.reason });
  progress('analyze', outcomes.length, outcomes.length);
  lap('analyze');
  cancelled();

  // 3-4. insertion requests and scripts.
  // Modules read the tree (package.json "type"...) where it already is: the source; --out copies it later.
  const plan = planFunctions(outcomes, root);
  const all = plan.files.flatMap((file) => file.functions);
  lap('plan');

  // 5. cache, checks, sandbox.
  const cache = opts.library ? libraryScriptCache(opts.library) : memoryScriptCache();
  const scripts = new Map<string, string>();
  const signatures = new Map<string, string>();
  const languageOf = new Map<string, InstrumentLanguage>();
  for (const file of plan.files) {
    for (const fn of file.functions) {
      scripts.set(fn.script.key, fn.script.source);
      signatures.set(fn.script.key, fn.request.signature);
      languageOf.set(fn.script.key, file.context.analysis.language);
    }
  }
  const keys = [...scripts.keys()];
  const cached = opts.dryRun ? new Map<string, string>() : cache.lookup(keys);
  const misses = keys.filter((key) => !cached.has(key));
  lap('cache');
  let refused = new Map<string, string>();
  if (!opts.dryRun && misses.length > 0) {
    progress('check', 0, misses.length);
    refused = await checkScripts(misses.map((key) => ({ key, source: scripts.get(key) ?? '' })));
    cache.store(
      misses
        .filter((key) => !refused.has(key))
        .map((key) => ({
          key,
          source: scripts.get(key) ?? '',
          language: languageOf.get(key) ?? 'python',
          signature: signatures.get(key) ?? '',
        })),
    );
    progress('check', misses.length, misses.length);
  }
  for (const [key, source] of cached) scripts.set(key, source); // run what the cache holds
  lap('check');
  cancelled();
  const jobs: BatchJob[] = all
    .filter((fn) => !refused.has(fn.script.key))
    .map((fn) => ({ id: fn.id, key: fn.script.key, text: fn.text, offsets: fn.script.offsets }));
  if (jobs.length > 0) await settledWithin(warming, WARM_WAIT_MS);
  const results = opts.dryRun
    ? new Map(jobs.map((job) => [job.id, { id: job.id, ok: true as const, text: '' }]))
    : await runJobs({
        engine,
        jobs,
        scripts,
        workers: opts.workers,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onBatch: (done, total) => progress('sandbox', done, total),
      });
  lap('sandbox');
  cancelled();

  // 6. rebuild.
  const skippedFunctions = [...plan.skipped];
  const written: Array<{ relPath: string; text: string; entry: Manifest['files'][string] }> = [];
  const instrumentedContexts = new Map<LanguageSupport, FileContext[]>();
  const byLanguage: InstrumentResult['byLanguage'] = {};
  let instrumentedCount = 0;
  const wouldWrite: string[] = [];
  for (const planned of plan.files) {
    const language = planned.context.analysis.language;
    const stats = (byLanguage[language] ??= { files: 0, functions: 0, instrumented: 0 });
    stats.files++;
    stats.functions += planned.context.analysis.functions.length;
    if (opts.dryRun) {
      stats.instrumented += planned.functions.length;
      instrumentedCount += planned.functions.length;
      if (planned.functions.length > 0) wouldWrite.push(planned.file.relPath);
      continue;
    }
    const outcome = collectFileEdits(planned, results, refused);
    skippedFunctions.push(...outcome.skipped);
    if (outcome.instrumented.length === 0) continue;
    const prelude = preludeEdits(planned, outcome.instrumented);
    if (!Array.isArray(prelude)) {
      skippedFiles.push({ path: planned.file.relPath, reason: prelude.reason });
      continue;
    }
    let rebuilt: ReturnType<typeof rebuildFile>;
    try {
      rebuilt = rebuildFile(planned.file.bytes, [...prelude, ...outcome.edits]);
    } catch (error) {
      skippedFiles.push({
        path: planned.file.relPath,
        reason: `rebuild failed: ${(error as Error).message}`,
      });
      continue;
    }
    stats.instrumented += outcome.instrumented.length;
    instrumentedCount += outcome.instrumented.length;
    const entry = {
      language,
      originalSha256: sha256(planned.file.bytes),
      instrumentedSha256: sha256(rebuilt.text),
      ranges: rebuilt.ranges,
    };
    written.push({ relPath: planned.file.relPath, text: rebuilt.text, entry });
    const contexts = instrumentedContexts.get(planned.file.support) ?? [];
    contexts.push({ ...planned.context, source: rebuilt.text });
    instrumentedContexts.set(planned.file.support, contexts);
  }
  lap('rebuild');

  // 7. write: the copy, the files, the runtime files, the manifest.
  const runtimeFiles: Array<{ path: string; content: string }> = [];
  for (const [support, contexts] of instrumentedContexts)
    runtimeFiles.push(...support.runtimeFiles(contexts));
  for (const file of runtimeFiles) {
    // Never overwrite a file of the user's (the runtime of an earlier run may be rewritten).
    if (previous?.runtimeFiles[file.path] !== undefined) continue;
    if (await stat(join(root, file.path)).catch(() => null))
      throw new UsageError(
        `${file.path} exists in the tree and is not scriptbox's runtime file: refusing to overwrite it`,
      );
  }
  if (out !== null) {
    if (out !== root) await copyTree(root, out);
    const manifest: Manifest = (await readManifest(out)) ?? emptyManifest();
    for (const file of written) manifest.files[file.relPath] = file.entry;
    for (const file of runtimeFiles) {
      for (const dir of parentDirs(file.path).reverse()) {
        if (!(await stat(join(out, dir)).catch(() => null))) {
          await mkdir(join(out, dir));
          manifest.createdDirs.push(dir);
        }
      }
      manifest.runtimeFiles[file.path] = { sha256: sha256(file.content) };
    }
    await Promise.all([
      ...written.map((file) => writeFile(join(out, file.relPath), file.text)),
      ...runtimeFiles.map((file) => writeFile(join(out, file.path), file.content)),
    ]);
    if (written.length > 0 || runtimeFiles.length > 0 || out !== root) await writeManifest(out, manifest);
    progress('write', written.length, written.length);
  }
  lap('write');
  timings.total = Math.round((performance.now() - started) * 100) / 100;

  const skippedByReason: Record<string, number> = {};
  for (const skip of skippedFunctions) {
    const reason = skip.reason.replace(/ \(.*$/s, '').replace(/:.*$/s, '');
    skippedByReason[reason] = (skippedByReason[reason] ?? 0) + 1;
  }
  return {
    root,
    out,
    dryRun: opts.dryRun,
    files: {
      scanned: scan.files.length,
      instrumented: opts.dryRun ? wouldWrite : written.map((file) => file.relPath),
      skipped: skippedFiles,
    },
    functions: {
      found: plan.found,
      instrumented: instrumentedCount,
      skipped: skippedFunctions,
      skippedByReason,
    },
    byLanguage,
    cache: {
      hits: cached.size,
      misses: opts.dryRun ? 0 : misses.length,
      refused: refused.size,
      analysesReused,
    },
    runtimeFiles: runtimeFiles.map((file) => file.path),
    timings,
  };
}
