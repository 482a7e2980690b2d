/**
 * Helpers for the C/C++ instrumentation tests: toolchain checks, make, events, a direct instrumenter (the
 * module's own analyze + insertion + prelude, applied here: it exercises the module on files the core
 * skips) and a per-call balance check.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { parse } from '../../../src/check/parsers.js';
import type { LanguageSupport } from '../../../src/workflows/instrument/language.js';
import { support as c } from '../../../src/workflows/instrument/languages/c.js';
import { support as cpp } from '../../../src/workflows/instrument/languages/cpp.js';
import type { Edit } from '../../../src/workflows/instrument/model.js';
import { applyEdits } from '../../../src/workflows/instrument/rebuild.js';
import { readEvents, tally, type TelemetryEvent } from './go-helpers.js';

export { readEvents, tally, type TelemetryEvent };

const works = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
export const hasGcc = works('gcc') && works('make');
export const hasGxx = works('g++') && works('make');
export const NO_GCC = 'gcc/make missing: run scripts/setup.sh';
export const NO_GXX = 'g++/make missing: run scripts/setup.sh';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cwd: string, cmd: string, args: string[], telemetry?: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  if (telemetry !== undefined) env['SCRIPTBOX_TELEMETRY_FILE'] = telemetry;
  const done = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

/** Keys (`file:function`) whose enters differ from exits + errors. */
export const unbalanced = (events: readonly TelemetryEvent[]): string[] =>
  [...tally(events)].filter(([, [enter, exit, error]]) => enter !== exit + error).map(([key]) => key);

/** In a single-threaded run every exit|error closes the innermost open enter of the same function. */
export function nestingProblems(events: readonly TelemetryEvent[]): string[] {
  const stack: TelemetryEvent[] = [];
  const problems: string[] = [];
  for (const event of events) {
    if (event.event === 'enter') stack.push(event);
    else if (stack.pop()?.function !== event.function) problems.push(`${event.event} ${event.function}`);
  }
  return [...problems, ...stack.map((open) => `never left: ${open.function}`)];
}

const SUPPORT_BY_EXT = new Map<string, LanguageSupport>([
  ...c.extensions.map((ext) => [ext, c] as const),
  ...cpp.extensions.map((ext) => [ext, cpp] as const),
]);

/** Instruments every C/C++ file of `root` in place with the modules alone; returns instrumented counts. */
export async function instrumentDirect(root: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const contexts = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const support = SUPPORT_BY_EXT.get(extname(entry.name));
    if (!entry.isFile() || support === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    const relPath = relative(root, path).split('\\').join('/');
    const source = await readFile(path, 'utf8');
    if (source.includes(support.marker)) continue;
    const parsed = await parse(support.grammar, source);
    if (!parsed.ok) throw new Error(parsed.message);
    const analysis = support.analyze(parsed.root, source, relPath);
    const context = { relPath, source, analysis, treeRoot: root };
    const edits: Edit[] = [];
    const done = [];
    for (const fn of analysis.functions) {
      const answer = support.insertion(fn, context);
      if ('skip' in answer) continue;
      done.push(fn);
      for (const edit of answer.edits)
        edits.push({ at: fn.span.start.byte + edit.at, delete: edit.delete, insert: edit.insert });
    }
    if (done.length === 0) continue;
    edits.push(...support.prelude(context, done));
    await writeFile(path, applyEdits(Buffer.from(source, 'utf8'), edits).text);
    counts.set(relPath, done.length);
    contexts.push(context);
  }
  for (const file of c.runtimeFiles(contexts)) await writeFile(join(root, file.path), file.content);
  return counts;
}
