/**
 * The chat's help texts: the greeting, what is possible (with examples that use the loaded dataset's real
 * column names), the list of analyses, and the answer to a message nobody understood.
 */
import { columnRoles } from '../analysis/column-roles.js';
import type { AnalysisSpec } from '../analysis/spec.js';
import type { AnalysisExample } from '../analysis/usage-example.js';
import { isNumericColumn, type Table } from '../analysis/table.js';
import { text, type Turn } from './turn.js';
import type { ChatReply } from './types.js';

export interface HelpContext {
  analyses: readonly AnalysisSpec[];
  hasLlm: boolean;
  hasLibrary: boolean;
  /** The loaded dataset's table, or null. */
  table: Table | null;
}

/** What the help of `turn` depends on: what this chat can do, and the loaded table. */
export function helpContext(turn: Turn): HelpContext {
  return {
    analyses: turn.chat.analyses,
    hasLlm: turn.chat.llm !== null,
    hasLibrary: turn.chat.library !== null,
    table: turn.conversation.dataset?.table ?? null,
  };
}

export const LLM_SETTINGS_HINT =
  'set SCRIPTBOX_LLM_BASE_URL (e.g. https://api.openai.com/v1, or http://127.0.0.1:11434/v1 for Ollama), ' +
  'SCRIPTBOX_LLM_MODEL, and SCRIPTBOX_LLM_API_KEY if the endpoint needs a key';

/** `price (number), district (text)`. */
export function columnsText(table: Table): string {
  return table.columns.map((column) => `${column.name} (${column.type})`).join(', ');
}

/** The numeric columns, for messages about a column that is not one. */
export function numericColumnsText(table: Table): string {
  const names = table.columns.filter(isNumericColumn).map((column) => column.name);
  return names.length > 0 ? names.join(', ') : 'none';
}

function quoteName(name: string): string {
  return /^\S+$/.test(name) && !/["']/.test(name) ? name : `"${name.replaceAll('"', '')}"`;
}

/** `/script regression price "floor area"`: an analysis call as the chat takes it. */
export function scriptCommandText(example: AnalysisExample): string {
  return ['/script', example.analysis, ...example.columns.map(quoteName)].join(' ');
}

/** True unless the analysis would group rows by a column that makes a poor group (an id, a key). */
function groupsByCategory(params: Record<string, unknown>, categories: readonly string[]): boolean {
  const by = params['by'];
  return typeof by !== 'string' || categories.includes(by);
}

/**
 * A `/script` example for `spec` with the table's own columns: the first choice of columns (two measures;
 * a category; a measure and a category; one measure; none) its paramsFromColumns accepts and that groups,
 * if at all, by a category. Identifiers (`id`, `customer_id`, a row counter) and keys with a value per row
 * are never suggested (column-roles.ts).
 */
export function datasetExample(spec: AnalysisSpec, table: Table): string | null {
  const { measures, categories } = columnRoles(table);
  const [firstCategory] = categories;
  const [firstNumber, secondNumber] = measures;
  const choices: string[][] = [
    ...(firstNumber !== undefined && secondNumber !== undefined ? [[firstNumber, secondNumber]] : []),
    ...(firstCategory !== undefined ? [[firstCategory]] : []),
    ...(firstNumber !== undefined && firstCategory !== undefined ? [[firstNumber, firstCategory]] : []),
    ...(firstNumber !== undefined ? [[firstNumber]] : []),
    [],
  ];
  for (const columns of choices) {
    let params: Record<string, unknown>;
    try {
      params = spec.paramsFromColumns(columns, table);
    } catch {
      continue; // this choice does not fit the analysis: try the next
    }
    if (groupsByCategory(params, categories)) return scriptCommandText({ analysis: spec.name, columns });
  }
  return null;
}

function exampleFor(spec: AnalysisSpec, table: Table | null): string {
  return (table ? datasetExample(spec, table) : null) ?? spec.examples[0] ?? `/script ${spec.name}`;
}

/** `/script` alone: each analysis with what it does and an example. */
export function analysesReplies(context: HelpContext): ChatReply[] {
  if (context.analyses.length === 0) return [text('No analyses are installed.')];
  return [
    {
      kind: 'table',
      title: 'Analyses',
      columns: ['analysis', 'what it does', 'example'],
      rows: context.analyses.map((spec) => [spec.name, spec.summary, exampleFor(spec, context.table)]),
    },
    text(
      context.table
        ? 'Run one with /script <analysis> [columns...] (quote names with spaces), or ask in words.'
        : 'Send a CSV, TSV or Excel file first; then run one with /script <analysis> [columns...].',
    ),
  ];
}

function possibilities(context: HelpContext): string[] {
  const analysisNames = context.analyses.map((spec) => spec.name).join(', ');
  const inWords = context.analyses
    .map((spec) => spec.examples.find((example) => !example.startsWith('/')))
    .filter((example) => example !== undefined)
    .slice(0, 3)
    .map((example) => `"${example}"`);
  const lines = [
    '• Send a CSV, TSV or Excel (.xlsx) file: I read it and show a preview (/preview shows it again).',
    `• /script lists the analyses (${analysisNames || 'none installed'}); /script <analysis> [columns...] runs one.`,
    `• Or ask in words${inWords.length > 0 ? `, e.g. ${inWords.join(', ')}` : ''}.`,
    '• "show the script" (/code) sends the last script as a file.',
  ];
  if (context.hasLibrary) {
    lines.push(
      '• Script library: "list code" (/scripts), "generate code …", "run code <name>", ' +
        '"update code <name> to …", "delete code <name>" (run, update and delete ask for a yes first).',
    );
  }
  lines.push(
    context.hasLlm
      ? '• Anything else is written as a script by the LLM; you see it and say yes before it runs.'
      : `• Free-form code needs an LLM: ${LLM_SETTINGS_HINT}.`,
  );
  return lines;
}

function examples(context: HelpContext): string[] {
  const { table } = context;
  const shown = context.analyses.map((spec) => exampleFor(spec, table)).slice(0, 6);
  return shown.length > 0
    ? [table ? 'Try, with your data:' : 'Examples:', ...shown.map((e) => `  ${e}`)]
    : [];
}

export function startReplies(context: HelpContext): ChatReply[] {
  return [
    text(
      [
        'Hi! I run data analyses in a sandbox: statistics, models and charts, from reviewed script templates.',
        context.table ? 'Your data is loaded: ask away.' : 'Send me a CSV, TSV or Excel file to begin.',
        '',
        ...possibilities(context),
      ].join('\n'),
    ),
  ];
}

export function helpReplies(context: HelpContext): ChatReply[] {
  return [text(['What I can do:', ...possibilities(context), '', ...examples(context)].join('\n').trim())];
}

/** The answer to a message that matches nothing (without an LLM to hand it to). */
export function unknownReplies(context: HelpContext): ChatReply[] {
  return [
    text(
      [
        'I did not understand that. Here is what I can do:',
        ...possibilities(context),
        '',
        ...examples(context),
      ]
        .join('\n')
        .trim(),
    ),
  ];
}

/** What to say when an analysis is asked for before any data. */
export function noDatasetReplies(): ChatReply[] {
  return [text('Send a CSV first: a CSV, TSV or Excel (.xlsx) file with a header row. Then ask again.')];
}
