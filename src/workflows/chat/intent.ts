/**
 * What a chat message asks for, decided without side effects: commands (`/start`, `/help`, `/script
 * [analysis] [columns...]`, `/preview`, `/code`, `/scripts`; any other `/word` is an unknown command,
 * answered as one, not handed on as free text), the library triggers ("generate code …",
 * "run code <name>", "update code <name> to …", "delete code <name>", "list code"), and natural requests
 * for an analysis ("correlation between price and area", "train a classifier to predict species").
 *
 * A natural request names its analysis by keywords (each analysis's `keywords`, its name, and its name
 * with spaces) and its columns by the dataset's column names, matched case-insensitively as whole words,
 * longest first, so `price_m2` is found before `price`; column names are matched before keywords, and a
 * column named like a small word (`a`, `and`, `of`...) counts only when quoted. The columns keep the
 * order they are mentioned in. The analysis with the most keyword matches wins; a tie goes to the one
 * mentioned first. A column after "per", "by", "for each" ... groups the request: an analysis with a
 * `whenGrouped` counterpart becomes that one, the grouping column first ("average price per district").
 * Two columns joined by "vs", "versus" or "against" name the vertical axis first ("plot income vs age":
 * income over age); an analysis that `takesXFirst` (scatter) gets them the other way round, x then y.
 */
import type { AnalysisSpec } from '../analysis/spec.js';

/** What the parser needs to know of an analysis. */
export type AnalysisWords = Pick<AnalysisSpec, 'name' | 'keywords' | 'whenGrouped' | 'takesXFirst'>;

export interface ParseContext {
  analyses: readonly AnalysisWords[];
  /** The loaded dataset's column names; empty without a dataset. */
  columns: readonly string[];
}

/** An analysis with the columns a message named, spelled as the dataset spells them. */
export interface AnalysisRequest {
  analysis: string;
  columns: string[];
}

export type Intent =
  | { kind: 'start' }
  | { kind: 'help' }
  /** `/script` alone: the analyses, with an example each. */
  | { kind: 'list-analyses' }
  /** `unknown`: arguments of `/script` that are no column of the dataset. */
  | ({ kind: 'analysis'; unknown: string[] } & AnalysisRequest)
  | { kind: 'unknown-analysis'; name: string }
  /** `/<command>` that is no command; `args`: what followed it. */
  | { kind: 'unknown-command'; command: string; args: string }
  | { kind: 'preview' }
  | { kind: 'show-script' }
  | { kind: 'list-code' }
  /** `analysis`: the analysis the request matches, if any (used when no LLM is configured). */
  | { kind: 'generate-code'; request: string; analysis: AnalysisRequest | null }
  | { kind: 'run-code'; name: string }
  /** `code`: a fenced block sent along, taken verbatim; `instruction`: the words around it. */
  | { kind: 'update-code'; name: string; instruction: string; code: string | null }
  | { kind: 'delete-code'; name: string }
  | { kind: 'free'; text: string };

/** Small words that are not taken as a column name unless quoted. */
const SMALL_WORDS = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'by',
  'for',
  'from',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'the',
  'to',
  'vs',
  'with',
]);

/** `/script@MyBot args` → `script`, `args` (Telegram appends the bot name to commands in groups). */
function splitCommand(text: string): { command: string; args: string } | null {
  const match = /^\/([A-Za-z_]+)(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) return null;
  return { command: (match[1] ?? '').toLowerCase(), args: (match[2] ?? '').trim() };
}

/** Arguments split on spaces; "double" or 'single' quotes keep a name with spaces together. */
export function splitArgs(args: string): string[] {
  const tokens: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|“([^”]*)”|(\S+)/g;
  for (const match of args.matchAll(pattern)) {
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  }
  return tokens.filter((token) => token !== '');
}

function analysisNamed(name: string, analyses: readonly AnalysisWords[]): AnalysisWords | undefined {
  const wanted = name.toLowerCase().replaceAll('-', '_');
  return analyses.find((analysis) => analysis.name.toLowerCase() === wanted);
}

/** The dataset's spelling of a column typed by the user: exact first, then ignoring case. */
function columnNamed(typed: string, columns: readonly string[]): string | undefined {
  return (
    columns.find((column) => column === typed) ?? columns.find((c) => c.toLowerCase() === typed.toLowerCase())
  );
}

function scriptCommand(args: string, context: ParseContext): Intent {
  const [name, ...rest] = splitArgs(args);
  if (name === undefined) return { kind: 'list-analyses' };
  const analysis = analysisNamed(name, context.analyses);
  if (!analysis) return { kind: 'unknown-analysis', name };
  const columns: string[] = [];
  const unknown: string[] = [];
  for (const typed of rest) {
    const column = columnNamed(typed, context.columns);
    if (column === undefined) unknown.push(typed);
    else if (!columns.includes(column)) columns.push(column);
  }
  return { kind: 'analysis', analysis: analysis.name, columns, unknown };
}

const COMMANDS = new Map<string, (args: string, context: ParseContext) => Intent>([
  ['start', () => ({ kind: 'start' })],
  ['help', () => ({ kind: 'help' })],
  ['script', scriptCommand],
  ['preview', () => ({ kind: 'preview' })],
  ['code', () => ({ kind: 'show-script' })],
  ['scripts', () => ({ kind: 'list-code' })],
]);

/** The commands, without their slash, in the order help lists them. */
export const COMMAND_NAMES: readonly string[] = [...COMMANDS.keys()];

/** A script name as typed, without trailing punctuation ("run code x_y_001.py." → x_y_001.py). */
function nameArg(token: string): string {
  return token.replace(/[.,;:!?]+$/, '');
}

const FENCE = /```[^\n`]*\n([\s\S]*?)```/;

function updateCode(name: string, rest: string): Intent {
  const fence = FENCE.exec(rest);
  const code = fence ? (fence[1] ?? '') : null;
  const words = (fence ? rest.replace(FENCE, ' ') : rest).trim().replace(/^to\b\s*/i, '');
  return { kind: 'update-code', name: nameArg(name), instruction: words.trim(), code };
}

function libraryTrigger(text: string, context: ParseContext): Intent | null {
  const generate = /^generate\s+code\b[\s:,-]*([\s\S]*)$/i.exec(text);
  if (generate) {
    const request = (generate[1] ?? '').trim();
    return { kind: 'generate-code', request, analysis: matchAnalysisRequest(request, context) };
  }
  const run = /^run\s+code\s+(\S+)\s*$/i.exec(text);
  if (run) return { kind: 'run-code', name: nameArg(run[1] ?? '') };
  const del = /^delete\s+code\s+(\S+)\s*$/i.exec(text);
  if (del) return { kind: 'delete-code', name: nameArg(del[1] ?? '') };
  const update = /^update\s+code\s+(\S+)([\s\S]*)$/i.exec(text);
  if (update) return updateCode(update[1] ?? '', update[2] ?? '');
  if (/^list\s+(code|scripts)$/i.test(text)) return { kind: 'list-code' };
  return null;
}

function phrase(text: string): Intent | null {
  const words = text.replace(/[.!?]+$/, '').trim();
  if (/^(help|what can you do)$/i.test(words)) return { kind: 'help' };
  if (/^(show|preview)( me)?( the)?( data| dataset| table)$|^preview$/i.test(words)) {
    return { kind: 'preview' };
  }
  if (/^show( me)?( the)?( last)? (script|code)$/i.test(words)) return { kind: 'show-script' };
  return null;
}

/** Decides what `text` asks for (see the top of this file). */
export function parseIntent(text: string, context: ParseContext): Intent {
  const trimmed = text.trim();
  const command = splitCommand(trimmed);
  const handler = command ? COMMANDS.get(command.command) : undefined;
  if (command && handler) return handler(command.args, context);
  if (command) return { kind: 'unknown-command', command: command.command, args: command.args };
  const known = libraryTrigger(trimmed, context) ?? phrase(trimmed);
  if (known) return known;
  const request = matchAnalysisRequest(trimmed, context);
  if (request) return { kind: 'analysis', ...request, unknown: [] };
  return { kind: 'free', text: trimmed };
}

interface Span {
  start: number;
  end: number;
}

interface Mention<T> extends Span {
  what: T;
}

function overlaps(span: Span, taken: readonly Span[]): boolean {
  return taken.some((other) => span.start < other.end && other.start < span.end);
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** True when `text[start, end)` is not glued to letters or digits on a side where the name has them. */
function standsAlone(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  const first = text[start] ?? '';
  const last = text[end - 1] ?? '';
  if (before !== undefined && WORD_CHAR.test(first) && WORD_CHAR.test(before)) return false;
  if (after !== undefined && WORD_CHAR.test(last) && WORD_CHAR.test(after)) return false;
  return true;
}

function isQuoted(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? '';
  const after = text[end] ?? '';
  return /["'`“‘]/.test(before) && /["'`”’]/.test(after);
}

/**
 * Every whole-word occurrence of each candidate in `text` (lowercased), longest candidate first, skipping
 * spans already taken; `suffix` lets a keyword end in a plural `s`/`es`.
 */
function findMentions<T>(
  text: string,
  candidates: readonly { words: string; what: T; quotedOnly: boolean }[],
  taken: Span[],
  suffix: boolean,
): Mention<T>[] {
  const found: Mention<T>[] = [];
  const ordered = [...candidates].sort((a, b) => b.words.length - a.words.length);
  for (const candidate of ordered) {
    const words = candidate.words.toLowerCase();
    if (words === '') continue;
    for (let start = text.indexOf(words); start !== -1; start = text.indexOf(words, start + 1)) {
      let end = start + words.length;
      if (suffix) end += /^(es|s)?/.exec(text.slice(end))?.[0].length ?? 0;
      const span = { start, end };
      if (!standsAlone(text, start, end) || overlaps(span, taken)) continue;
      if (candidate.quotedOnly && !isQuoted(text, start, end)) continue;
      taken.push(span);
      found.push({ ...span, what: candidate.what });
    }
  }
  return found;
}

/** The words between two columns of "Y vs X" (quotes around the names allowed): Y is on the vertical axis. */
const VERSUS = /^["'`”’]?\s*(vs\.?|versus|against)\s*["'`“‘]?$/;

/** Columns in order of mention, with each "Y vs X" pair turned round to X, Y. */
function xBeforeY(text: string, ordered: readonly Mention<string>[]): Mention<string>[] {
  const result = [...ordered];
  for (let i = 0; i + 1 < result.length; i += 1) {
    const [first, second] = [result[i], result[i + 1]];
    if (first && second && VERSUS.test(text.slice(first.end, second.start).trim())) {
      result[i] = second;
      result[i + 1] = first;
      i += 1;
    }
  }
  return result;
}

/** Words right before a column that make the request per group of it: "per district", "by each species". */
const GROUPING_CUE = /\b(per|by|for each|for every|across|within)\s+(the\s+|each\s+|every\s+)?$/;

/**
 * The analysis a natural request asks for and the dataset columns it mentions, or null when it names no
 * analysis (see the top of this file).
 */
function matchAnalysisRequest(text: string, context: ParseContext): AnalysisRequest | null {
  const lower = text.toLowerCase();
  const taken: Span[] = [];
  const columnCandidates = context.columns.map((column) => ({
    words: column,
    what: column,
    quotedOnly: SMALL_WORDS.has(column.toLowerCase()),
  }));
  const columns = findMentions(lower, columnCandidates, taken, false);
  const keywordCandidates = context.analyses.flatMap((analysis, order) =>
    [...new Set([analysis.name, analysis.name.replaceAll('_', ' '), ...analysis.keywords])].map((words) => ({
      words,
      what: order,
      quotedOnly: false,
    })),
  );
  const keywords = findMentions(lower, keywordCandidates, taken, true);
  if (keywords.length === 0) return null;
  const tally = new Map<number, { count: number; first: number }>();
  for (const mention of keywords) {
    const seen = tally.get(mention.what);
    if (seen) {
      seen.count += 1;
      seen.first = Math.min(seen.first, mention.start);
    } else {
      tally.set(mention.what, { count: 1, first: mention.start });
    }
  }
  const [best] = [...tally.entries()].sort(
    ([orderA, a], [orderB, b]) => b.count - a.count || a.first - b.first || orderA - orderB,
  );
  const analysis = best === undefined ? undefined : context.analyses[best[0]];
  if (!analysis) return null;
  const inOrder = columns.sort((a, b) => a.start - b.start);
  const ordered = analysis.takesXFirst ? xBeforeY(lower, inOrder) : inOrder;
  const groupedBy = ordered.find((mention) => GROUPING_CUE.test(lower.slice(0, mention.start)));
  if (groupedBy && analysis.whenGrouped) {
    // The grouping column first: that is how the grouped analysis takes its columns.
    const rest = ordered.filter((mention) => mention !== groupedBy).map((mention) => mention.what);
    return { analysis: analysis.whenGrouped, columns: [...new Set([groupedBy.what, ...rest])] };
  }
  return { analysis: analysis.name, columns: [...new Set(ordered.map((mention) => mention.what))] };
}
