/**
 * Test helpers for the Python language module: instrument files with the module alone (parse, analyse,
 * insertion edits, prelude, runtime files; edits applied bottom up as the core's rebuild does), run Python
 * and read the telemetry events back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse } from '../../../src/check/parsers.js';
import type { FileContext } from '../../../src/workflows/instrument/language.js';
import { support } from '../../../src/workflows/instrument/languages/python.js';
import type { Edit, FileAnalysis } from '../../../src/workflows/instrument/model.js';

export const PYTHON = '/usr/bin/python3';

export async function analyzeSource(source: string, relPath = 'mod.py'): Promise<FileAnalysis> {
  const parsed = await parse('python', source);
  if (!parsed.ok) throw new Error(parsed.message);
  return support.analyze(parsed.root, source, relPath);
}

/** Applies edits (bytes of the original) bottom up; ties keep list order (as the core's rebuild). */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  const data = Buffer.from(source, 'utf8');
  const order = edits.map((edit, i) => ({ edit, i })).sort((a, b) => b.edit.at - a.edit.at || b.i - a.i);
  let out = data;
  for (const { edit } of order) {
    out = Buffer.concat([
      out.subarray(0, edit.at),
      Buffer.from(edit.insert),
      out.subarray(edit.at + edit.delete),
    ]);
  }
  return out.toString('utf8');
}

export interface Instrumented {
  text: string;
  context: FileContext;
  instrumented: number;
  skipped: string[];
}

/** One file instrumented with the language module alone (no sandbox, no cache). */
export async function instrumentSource(
  source: string,
  relPath: string,
  treeRoot = '/',
): Promise<Instrumented> {
  const analysis = await analyzeSource(source, relPath);
  const context: FileContext = { relPath, source, analysis, treeRoot };
  const edits: Edit[] = [];
  const done = [];
  const skipped: string[] = [];
  for (const fn of analysis.functions) {
    const request = support.insertion(fn, context);
    if ('skip' in request) {
      skipped.push(`${fn.qualifiedName}: ${request.skip}`);
      continue;
    }
    const text = Buffer.from(source).subarray(fn.span.start.byte, fn.span.end.byte).toString('utf8');
    for (const edit of request.edits) {
      if (!Buffer.from(text).subarray(edit.at).toString('utf8').startsWith(edit.expect))
        throw new Error('anchor');
      edits.push({ at: fn.span.start.byte + edit.at, delete: edit.delete, insert: edit.insert });
    }
    done.push(fn);
  }
  const prelude = support.prelude(context, done);
  return { text: applyEdits(source, [...prelude, ...edits]), context, instrumented: done.length, skipped };
}

function pythonFiles(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === '__pycache__' ? [] : pythonFiles(path, root);
    return name.endsWith('.py') ? [relative(root, path)] : [];
  });
}

export interface TreeOutcome {
  files: number;
  functions: number;
  instrumented: number;
  skipped: string[];
}

/** Copies `from` to `to` and instruments every .py file there but those `keep` accepts. */
export async function instrumentTreeDirect(
  from: string,
  to: string,
  keep: (rel: string) => boolean,
): Promise<TreeOutcome> {
  cpSync(from, to, { recursive: true });
  const outcome: TreeOutcome = { files: 0, functions: 0, instrumented: 0, skipped: [] };
  const contexts: FileContext[] = [];
  for (const rel of pythonFiles(from)) {
    if (keep(rel)) continue;
    const source = readFileSync(join(from, rel), 'utf8');
    const result = await instrumentSource(source, rel, to);
    outcome.files++;
    outcome.functions += result.context.analysis.functions.length;
    outcome.instrumented += result.instrumented;
    outcome.skipped.push(...result.skipped.map((s) => `${rel}: ${s}`));
    writeFileSync(join(to, rel), result.text);
    contexts.push(result.context);
  }
  for (const file of support.runtimeFiles(contexts)) {
    mkdirSync(dirname(join(to, file.path)), { recursive: true });
    writeFileSync(join(to, file.path), file.content);
  }
  return outcome;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function pythonEnv(telemetry: string | undefined, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONHASHSEED: '0',
    ...extra,
  };
  delete env.SCRIPTBOX_TELEMETRY_FILE;
  if (telemetry !== undefined) env.SCRIPTBOX_TELEMETRY_FILE = telemetry;
  return env;
}

export function runPython(
  args: string[],
  cwd: string,
  telemetry?: string,
  extra: Record<string, string> = {},
): Run {
  const env = pythonEnv(telemetry, extra);
  const run = spawnSync(PYTHON, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** runPython without blocking (several runs side by side). */
export function runPythonAsync(
  args: string[],
  cwd: string,
  telemetry?: string,
  extra: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd,
      env: pythonEnv(telemetry, extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface TelemetryEvent {
  ts: number;
  event: 'enter' | 'exit' | 'error';
  function: string;
  file: string;
  line: number;
  durationMs?: number;
}

export function readEvents(path: string): TelemetryEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as TelemetryEvent);
}

export interface Counts {
  enter: number;
  exit: number;
  error: number;
}

/** Events per `file:function`. */
export function countEvents(events: readonly TelemetryEvent[]): Map<string, Counts> {
  const counts = new Map<string, Counts>();
  for (const e of events) {
    const key = `${e.file}:${e.function}`;
    const c = counts.get(key) ?? { enter: 0, exit: 0, error: 0 };
    c[e.event]++;
    counts.set(key, c);
  }
  return counts;
}

/** Functions whose enters differ from exits + errors. */
export function unbalanced(counts: ReadonlyMap<string, Counts>): string[] {
  return [...counts]
    .filter(([, c]) => c.enter !== c.exit + c.error)
    .map(([k, c]) => `${k} ${JSON.stringify(c)}`);
}
