/**
 * Replies about scripts: a script as a document with a short preview of its first lines, and the outcome
 * of running one that is not an analysis template (library and LLM code): its output as text (pretty
 * JSON when it printed JSON; a document when it is long; an analysis's tables when it printed an
 * analysis result), the files it wrote under out/ as images or documents, and what failed in one line —
 * never a stack trace.
 */
import type { RunResult } from '../../engine/result.js';
import { presentedResult } from '../analysis/analyze.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { ShownScript } from './conversation.js';
import { text } from './turn.js';
import { plural } from '../../text.js';
import type { ChatReply } from './types.js';

const PREVIEW_LINES = 12;
/** Output longer than this is sent as a document. */
const MAX_INLINE_OUTPUT = 3000;
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp)$/i;

interface RunFile {
  path: string;
  bytes: Uint8Array;
}

export function scriptReplies(script: ShownScript): ChatReply[] {
  const lines = script.source.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, PREVIEW_LINES).join('\n');
  const more =
    lines.length > PREVIEW_LINES ? `\n… (${plural(lines.length - PREVIEW_LINES, 'more line')})` : '';
  return [
    {
      kind: 'document',
      name: script.fileName,
      bytes: Buffer.from(script.source, 'utf8'),
      caption: `${script.fileName}, from ${script.origin}`,
    },
    text(`${shown}${more}`),
  ];
}

function printedJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    return undefined;
  }
}

/** What went wrong, in one line: the script's own `{"error": ...}`, else the run's error. */
function failureText(run: RunResult): string {
  const printed = printedJson(run.stdout.trim());
  if (
    typeof printed === 'object' &&
    printed !== null &&
    'error' in printed &&
    typeof printed.error === 'string'
  ) {
    return printed.error;
  }
  return run.error?.message ?? `the script exited with code ${String(run.exitCode)}`;
}

function outputReplies(run: RunResult): ChatReply[] {
  if (run.error?.kind === 'cancelled') return [text('Cancelled: the script was stopped before it finished.')];
  if (!run.ok) return [text(`The script failed: ${failureText(run)}`)];
  const stdout = run.stdout.trim();
  if (stdout === '') return [text('The script ran and printed nothing.')];
  const printed = printedJson(stdout);
  const shown = printed === undefined ? stdout : JSON.stringify(printed, null, 2);
  const cut = run.truncated.stdout ? '\n(the output was cut at the output limit)' : '';
  if (shown.length <= MAX_INLINE_OUTPUT) return [text(`${shown}${cut}`)];
  const name = printed === undefined ? 'output.txt' : 'output.json';
  return [
    { kind: 'document', name, bytes: Buffer.from(shown, 'utf8') },
    text(`The output is ${plural(shown.length, 'character')} long: sent as ${name}.${cut}`),
  ];
}

/** Files a run wrote under out/ (as read from the host copy): images as images, others as documents. */
function fileReplies(files: readonly RunFile[], caption?: string): ChatReply[] {
  return files.map((file) => {
    const name = file.path.split('/').pop() ?? file.path;
    return IMAGE_EXTENSIONS.test(name)
      ? { kind: 'image', name, bytes: file.bytes, caption: caption ?? file.path }
      : { kind: 'document', name, bytes: file.bytes, caption: file.path };
  });
}

export interface RunRepliesOpts {
  /** The analyses whose results are recognised in the output (a saved analysis script run again). */
  analyses: readonly AnalysisSpec[];
  /** The loaded dataset's name, for chart captions. */
  dataName?: string;
}

/**
 * A run's output, then the files it wrote. An analysis script (one saved from a template) printing its
 * analysis's result is shown as the analysis is when asked for: its tables, its charts captioned alike.
 */
export function runReplies(run: RunResult, files: readonly RunFile[], opts: RunRepliesOpts): ChatReply[] {
  const analysis = run.ok ? presentedResult(run.stdout, opts.analyses) : undefined;
  if (analysis === undefined) return [...outputReplies(run), ...fileReplies(files)];
  const caption = [analysis.spec.name, ...(opts.dataName === undefined ? [] : [opts.dataName])].join(' · ');
  return [...analysis.blocks, ...fileReplies(files, caption)];
}
