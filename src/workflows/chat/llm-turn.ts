/**
 * Code an LLM writes: a free-form request ("generate code …", or anything else when an LLM is configured)
 * or a library script rewritten from an instruction. The model's script is checked by the static checker
 * and sent back for repair while the checks block it (src/generate: generateFromPrompt); nothing it
 * wrote runs, or is saved, before the user says yes.
 */
import { generateFromPrompt, type PromptGeneration } from '../../generate/llm/generate.js';
import type { LlmProvider } from '../../generate/llm/provider.js';
import { checkForRepair } from '../checked-run.js';
import { confirmationQuestion, type PendingAction } from './confirm.js';
import type { ShownScript } from './conversation.js';
import { columnsText } from './help.js';
import { runScript } from './run-script.js';
import { scriptReplies } from './script-replies.js';
import { progress, text, type Turn } from './turn.js';
import { plural } from '../../text.js';
import type { ChatReply } from './types.js';

/** Small words left out of the library name made from a request. */
const FILLER = new Set([
  'a',
  'an',
  'and',
  'by',
  'code',
  'for',
  'from',
  'in',
  'of',
  'on',
  'the',
  'to',
  'with',
]);
const MAX_TASK_WORDS = 4;

/** The task part of a library name from the request's first words: "count rows by district" → count_rows_district. */
export function taskFromRequest(request: string): string {
  const words = (request.toLowerCase().match(/[a-z][a-z0-9]*/g) ?? []).filter((word) => !FILLER.has(word));
  const task = words.slice(0, MAX_TASK_WORDS).join('_').slice(0, 64).replace(/_+$/, '');
  return task === '' ? 'script' : task;
}

/** The request, told where the data is and what its columns are. */
function promptFor(turn: Turn, request: string): string {
  const dataset = turn.conversation.dataset;
  if (!dataset) return request;
  const { table, fileName } = dataset;
  return (
    `${request}\n\nThe data is the CSV file ${fileName} in the working directory, ` +
    `${plural(table.rowCount, 'row')}; read it with pandas.read_csv(${JSON.stringify(fileName)}). ` +
    `Its columns: ${columnsText(table)}.`
  );
}

/** Asks the model, repairing what the checks block. */
export async function generateChecked(
  turn: Turn,
  llm: LlmProvider,
  prompt: string,
  language: string,
): Promise<PromptGeneration> {
  progress(turn, 'generating', `asking ${llm.model} for a script`);
  const dataset = turn.conversation.dataset;
  return generateFromPrompt({
    prompt,
    language,
    provider: llm,
    engine: turn.chat.engine,
    check: checkForRepair,
    files: dataset ? [{ name: dataset.fileName, content: dataset.csv }] : [],
    limits: turn.chat.limits,
    signal: turn.hooks.signal,
  });
}

/** How many attempts it took, for the reply. */
export function attemptsText(generation: PromptGeneration): string {
  const count = generation.attempts.length;
  return count === 1 ? '1 attempt' : `${count} attempts; the checks sent it back for repair`;
}

/** The answer when the model never produced a script that passes the checks. */
export function generationFailed(generation: PromptGeneration): ChatReply[] {
  const last = generation.attempts.at(-1);
  const why = last?.error?.message ?? 'no code in its reply';
  return [
    text(
      `The LLM did not produce a script that passes the checks in ${plural(generation.attempts.length, 'attempt')}: ` +
        `${why}\nNothing was run. Try asking differently, or more precisely.`,
    ),
  ];
}

async function saveAndRun(turn: Turn, request: string, script: ShownScript): Promise<ChatReply[]> {
  const { library } = turn.chat;
  const saved = library?.save({
    category: 'chat',
    task: taskFromRequest(request),
    language: 'python',
    source: script.source,
    description: request.slice(0, 2000),
    tags: ['generated', 'llm', 'chat'],
    who: turn.who,
  });
  const label = saved?.name ?? 'the generated script';
  const { run, replies } = await runScript(turn, { label, language: 'python', source: script.source });
  if (saved && library) {
    library.recordRun(saved.name, saved.version, run, turn.who);
    turn.conversation.lastScript = { ...script, fileName: saved.name };
    const where =
      saved.existed === true ? 'Already in the library (the same script)' : 'Saved to the library';
    return [text(`${where} as ${saved.name}.`), ...replies];
  }
  return replies;
}

/** A script for a free-form request: shown, then saved and run only after a yes. */
export async function llmScriptTurn(turn: Turn, llm: LlmProvider, request: string): Promise<ChatReply[]> {
  const generation = await generateChecked(turn, llm, promptFor(turn, request), 'python');
  if (!generation.ok) return generationFailed(generation);
  const script: ShownScript = {
    fileName: `${taskFromRequest(request)}.py`,
    source: generation.source,
    origin: `${llm.model} (${attemptsText(generation)})`,
  };
  turn.conversation.lastScript = script;
  const action: PendingAction = {
    what: turn.chat.library ? 'save this script to the library and run it' : 'run this script',
    perform: (hooks) => saveAndRun({ ...turn, hooks }, request, script),
  };
  turn.conversation.pending = action;
  return [
    text(`${llm.model} wrote this script; it has not run yet.`),
    ...scriptReplies(script),
    confirmationQuestion(action),
  ];
}

/** The prompt that asks for a library script rewritten after an instruction. */
export function rewritePrompt(name: string, language: string, source: string, instruction: string): string {
  return (
    `Change this ${language} script (${name}) as follows: ${instruction}\n` +
    `Keep everything else as it is. The current script:\n\`\`\`${language}\n${source}\`\`\`\n` +
    'Reply with the whole new script.'
  );
}
