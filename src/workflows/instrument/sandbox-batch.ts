/**
 * Step 5, check and run: new insertion scripts pass the static checks (many scripts per checkSource call,
 * findings mapped back by line), then every function's script runs in the sandbox — many functions per
 * engine.run (one Python process execs each script once in its own namespace and applies it to each of
 * its functions), `workers` runs in flight, each with the engine's default limits. Everything goes in as
 * JSON on stdin and comes back as JSON on stdout.
 */
import { checkSource } from '../../check/index.js';
import type { Engine } from '../../engine/engine.js';
import type { PoolOpts } from '../../engine/options.js';
import { SandboxUnavailableError, ScriptboxError } from '../../errors.js';
import { CODE_MARKER } from './insertion-script.js';

export const DEFAULT_WORKERS = 12;

/**
 * The warm pool of an engine made for one instrumentation (the CLI's): one sandbox, started while the tree
 * is scanned, with `json` already imported (the batch runner's only import: ~8 ms of every batch
 * otherwise), and no refill after its batch (it would block the event loop while the files are written,
 * and be destroyed unused at exit). A long-lived engine keeps its own pool; preloading `json` helps it too.
 */
export const INSTRUMENT_POOL: PoolOpts = { size: 1, preload: ['json'], refill: 'manual' };
/** A batch never holds more functions than this ... */
export const MAX_BATCH_FUNCTIONS = 1000;
/** ... nor more output than this (estimated: its JSON must fit the default 1 MiB stdout; else it is halved). */
export const MAX_BATCH_BYTES = 640 * 1024;
/** Batches smaller than this are not split further to fill the workers (a sandbox start costs more). */
export const MIN_BATCH_FUNCTIONS = 400;
/** Scripts per checkSource call. */
const CHECK_CHUNK = 1000;

export interface BatchJob {
  id: number;
  key: string;
  text: string;
  offsets: number[];
}

export type JobResult = { id: number; ok: true; text: string } | { id: number; ok: false; error: string };

/** The program each sandbox run executes. */
export const BATCH_RUNNER = `import json
import sys

MARKER = "\\n" + ${JSON.stringify(CODE_MARKER)} + "\\n"


def load(source, compiled):
    # Runs a script's source in a namespace of its own. Scripts of one template share their code below
    # the marker: it is compiled once and run after each script's own data, as the whole source would be.
    at = source.find(MARKER)
    namespace = {"__name__": "scriptbox_insertion"}
    if at < 0:
        exec(compile(source, "insertion.py", "exec"), namespace)
        return namespace["insert"]
    code = source[at + 1:]
    if code not in compiled:
        compiled[code] = compile(code, "insertion-code.py", "exec")
    exec(compile(source[:at + 1], "insertion-data.py", "exec"), namespace)
    exec(compiled[code], namespace)
    return namespace["insert"]


def main():
    request = json.loads(sys.stdin.read())
    scripts = request["scripts"]
    functions = {}
    compiled = {}
    results = []
    for job in request["jobs"]:
        key = job["key"]
        try:
            insert = functions.get(key)
            if insert is None:
                insert = load(scripts[key], compiled)
                functions[key] = insert
            results.append({"id": job["id"], "ok": True, "text": insert(job["text"], job["offsets"])})
        except Exception as error:
            results.append({"id": job["id"], "ok": False, "error": "%s: %s" % (type(error).__name__, error)})
    sys.stdout.write(json.dumps(results))


main()
`;

/**
 * Checks scripts with the static checker (strict); returns the keys refused, each with its findings.
 * Every script is its data (comments and literal assignments) above CODE_MARKER and its code below; the
 * scripts of one template share the code. So one checkSource call covers many scripts: the shared code
 * once, then each script's data lines (top-level statements, as in the script itself). A finding in a
 * script's data refuses that script; one in the shared code refuses every script of the group.
 */
export async function checkScripts(
  scripts: ReadonlyArray<{ key: string; source: string }>,
): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const groups = new Map<string, Array<{ key: string; data: string }>>();
  for (const script of scripts) {
    const at = script.source.indexOf(`\n${CODE_MARKER}\n`);
    const code = at < 0 ? '' : script.source.slice(at + 1);
    const data = at < 0 ? script.source : script.source.slice(0, at + 1);
    const group = groups.get(code) ?? [];
    group.push({ key: script.key, data: data.endsWith('\n') ? data : `${data}\n` });
    groups.set(code, group);
  }
  const refuse = (key: string, text: string): void => {
    const previous = refused.get(key);
    refused.set(key, previous === undefined ? text : `${previous}; ${text}`);
  };
  for (const [code, group] of groups) {
    for (let start = 0; start < group.length; start += CHECK_CHUNK) {
      const chunk = group.slice(start, start + CHECK_CHUNK);
      const firstLines: number[] = [];
      let line = 1 + lineCount(code);
      for (const script of chunk) {
        firstLines.push(line);
        line += lineCount(script.data);
      }
      const source = code + chunk.map((script) => script.data).join('');
      const report = await checkSource({ language: 'python', source, policy: 'strict' });
      for (const finding of report.findings) {
        if (finding.severity !== 'error') continue;
        const text = `${finding.rule}: ${finding.message}`;
        if (finding.line < (firstLines[0] ?? 1)) {
          for (const script of chunk) refuse(script.key, text);
          continue;
        }
        let index = firstLines.length - 1;
        while (index > 0 && (firstLines[index] ?? 0) > finding.line) index--;
        const script = chunk[index];
        if (script !== undefined) refuse(script.key, text);
      }
    }
  }
  return refused;
}

const lineCount = (text: string): number => text.split('\n').length - 1;

/** Splits jobs into batches by count and bytes, and finely enough to give every worker one. */
export function planBatches(jobs: readonly BatchJob[], workers: number): BatchJob[][] {
  const perWorker = Math.max(MIN_BATCH_FUNCTIONS, Math.ceil(jobs.length / Math.max(1, workers)));
  const limit = Math.min(MAX_BATCH_FUNCTIONS, perWorker);
  const batches: BatchJob[][] = [];
  let current: BatchJob[] = [];
  let bytes = 0;
  for (const job of jobs) {
    // The output: the function's text, a little JSON escaping, and what the edits insert.
    const size = Math.ceil(job.text.length * 1.25) + 256;
    if (current.length > 0 && (current.length >= limit || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(job);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface RunJobsOpts {
  engine: Engine;
  jobs: readonly BatchJob[];
  scripts: ReadonlyMap<string, string>;
  workers?: number;
  signal?: AbortSignal;
  /** After each batch: how many jobs are done. */
  onBatch?: (done: number, total: number) => void;
}

async function runOne(
  engine: Engine,
  batch: readonly BatchJob[],
  scripts: ReadonlyMap<string, string>,
  signal?: AbortSignal,
): Promise<JobResult[]> {
  const needed: Record<string, string> = {};
  for (const job of batch) needed[job.key] ??= scripts.get(job.key) ?? '';
  const result = await engine.run({
    language: 'python',
    source: BATCH_RUNNER,
    stdin: JSON.stringify({ scripts: needed, jobs: batch }),
    ...(signal ? { signal } : {}),
  });
  if (result.ok) {
    try {
      return JSON.parse(result.stdout) as JobResult[];
    } catch {
      // fall through: an output cut at the limit
    }
  }
  if (
    batch.length > 1 &&
    (result.truncated.stdout || result.error?.kind === 'output_limit' || result.error?.kind === 'timeout')
  ) {
    // Too much for one run: halve it.
    const half = Math.ceil(batch.length / 2);
    return [
      ...(await runOne(engine, batch.slice(0, half), scripts, signal)),
      ...(await runOne(engine, batch.slice(half), scripts, signal)),
    ];
  }
  if (result.error?.kind === 'cancelled')
    throw new ScriptboxError('CANCELLED', 'instrumentation was cancelled');
  const why = result.error
    ? `${result.error.kind}: ${result.error.message}`
    : `exit ${String(result.exitCode)}`;
  throw new SandboxUnavailableError(
    `an insertion batch failed in the sandbox (${why}): ${result.stderr.slice(-500)}`,
  );
}

/** Runs every job; results by job id. */
export async function runJobs(opts: RunJobsOpts): Promise<Map<number, JobResult>> {
  const workers = Math.max(1, opts.workers ?? DEFAULT_WORKERS);
  const batches = planBatches(opts.jobs, workers);
  const results = new Map<number, JobResult>();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      for (const result of await runOne(opts.engine, batch, opts.scripts, opts.signal))
        results.set(result.id, result);
      done += batch.length;
      opts.onBatch?.(done, opts.jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, batches.length) }, worker));
  return results;
}
