/**
 * Between analysis and the sandbox: each function's InsertionRequest from its language module, its
 * newlines matched to the file's, checked, and made into an insertion script; afterwards, each file's
 * results turned back into file edits (held to what was asked) plus the prelude, ready for rebuild.
 */
import type { AnalyzeOutcome } from './analyze.js';
import { insertionScript, requestProblem, type InsertionScript } from './insertion-script.js';
import type { FileContext, InsertionRequest } from './language.js';
import type { Edit, FunctionSite } from './model.js';
import { editInComment, lineEnding, matchesEdits, withLineEnding, type CommentSpan } from './rebuild.js';
import type { JobResult } from './sandbox-batch.js';
import type { ScannedFile } from './scan.js';

export interface SkippedFunction {
  path: string;
  function: string;
  line: number;
  reason: string;
}

export interface PlannedFunction {
  id: number;
  fn: FunctionSite;
  request: InsertionRequest;
  script: InsertionScript;
  /** The function's own text (its span of the file). */
  text: string;
}

export interface PlannedFile {
  file: ScannedFile;
  context: FileContext;
  comments: CommentSpan[];
  ending: '\n' | '\r\n';
  functions: PlannedFunction[];
}

export interface Plan {
  files: PlannedFile[];
  found: number;
  skipped: SkippedFunction[];
}

const skipOf = (file: ScannedFile, fn: FunctionSite, reason: string): SkippedFunction => ({
  path: file.relPath,
  function: fn.qualifiedName,
  line: fn.span.start.line,
  reason,
});

/** Requests and scripts for every function of the analysed files. */
export function planFunctions(outcomes: readonly AnalyzeOutcome[], treeRoot: string): Plan {
  const plan: Plan = { files: [], found: 0, skipped: [] };
  let id = 0;
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    const { file, analysis, comments } = outcome;
    const context: FileContext = { relPath: file.relPath, source: file.source, analysis, treeRoot };
    const ending = lineEnding(file.source);
    const planned: PlannedFile = { file, context, comments, ending, functions: [] };
    for (const fn of analysis.functions) {
      plan.found++;
      if (fn.skip !== null) {
        plan.skipped.push(skipOf(file, fn, fn.skip));
        continue;
      }
      let answer: ReturnType<typeof file.support.insertion>;
      try {
        answer = file.support.insertion(fn, context);
      } catch (error) {
        plan.skipped.push(skipOf(file, fn, `no insertion: ${(error as Error).message}`));
        continue;
      }
      if ('skip' in answer) {
        plan.skipped.push(skipOf(file, fn, answer.skip));
        continue;
      }
      const request: InsertionRequest = {
        signature: answer.signature,
        edits: answer.edits.map((edit) => ({ ...edit, insert: withLineEnding(edit.insert, ending) })),
      };
      const text = file.bytes.subarray(fn.span.start.byte, fn.span.end.byte).toString('utf8');
      const problem = requestProblem(request, fn.span.end.byte - fn.span.start.byte);
      if (problem !== null) {
        plan.skipped.push(skipOf(file, fn, `bad insertion request: ${problem}`));
        continue;
      }
      const script = insertionScript(analysis.language, request);
      planned.functions.push({ id: id++, fn, request, script, text });
    }
    plan.files.push(planned);
  }
  return plan;
}

/** A function's request edits at file offsets. */
export function fileEdits(planned: PlannedFunction): Edit[] {
  const base = planned.fn.span.start.byte;
  return planned.request.edits.map((edit) => ({
    at: base + edit.at,
    delete: edit.delete,
    insert: edit.insert,
  }));
}

export interface FileOutcome {
  instrumented: FunctionSite[];
  edits: Edit[];
  skipped: SkippedFunction[];
}

/** A file's edits from its sandbox results: only results equal to the requested edits are taken. */
export function collectFileEdits(
  planned: PlannedFile,
  results: ReadonlyMap<number, JobResult>,
  refused: ReadonlyMap<string, string>,
): FileOutcome {
  const outcome: FileOutcome = { instrumented: [], edits: [], skipped: [] };
  const { file } = planned;
  for (const fn of planned.functions) {
    const refusal = refused.get(fn.script.key);
    if (refusal !== undefined) {
      outcome.skipped.push(skipOf(file, fn.fn, `insertion script refused by the static checks (${refusal})`));
      continue;
    }
    const result = results.get(fn.id);
    if (result === undefined) {
      outcome.skipped.push(skipOf(file, fn.fn, 'no result from the sandbox'));
      continue;
    }
    if (!result.ok) {
      outcome.skipped.push(skipOf(file, fn.fn, `insertion script failed: ${result.error}`));
      continue;
    }
    const local: Edit[] = fn.request.edits.map(({ at, delete: del, insert }) => ({
      at,
      delete: del,
      insert,
    }));
    if (!matchesEdits(fn.text, local, result.text)) {
      outcome.skipped.push(skipOf(file, fn.fn, 'the insertion script returned other text than its edits'));
      continue;
    }
    const edits = fileEdits(fn);
    if (editInComment(edits, planned.comments) !== undefined) {
      outcome.skipped.push(skipOf(file, fn.fn, 'an edit would land inside a comment'));
      continue;
    }
    outcome.instrumented.push(fn.fn);
    outcome.edits.push(...edits);
  }
  return outcome;
}

/** The prelude edits of a file with its line endings, or a reason to leave the file alone. */
export function preludeEdits(
  planned: PlannedFile,
  instrumented: FunctionSite[],
): Edit[] | { reason: string } {
  let edits: Edit[];
  try {
    edits = planned.file.support.prelude(planned.context, instrumented);
  } catch (error) {
    return { reason: `prelude failed: ${(error as Error).message}` };
  }
  edits = edits.map((edit) => ({ ...edit, insert: withLineEnding(edit.insert, planned.ending) }));
  if (editInComment(edits, planned.comments) !== undefined)
    return { reason: 'the prelude would land inside a comment' };
  return edits;
}
