/**
 * The library triggers of the chat: "list code" (/scripts), "run code <name>", "update code <name> to …"
 * and "delete code <name>". Run, update and delete say what they will do and wait for a yes; unknown
 * names are answered with close names from the library.
 */
import {
  LibraryNotFoundError,
  NAME_FORM,
  isScriptName,
  type Library,
  type ScriptRecord,
} from '../../library/index.js';
import { closeNames } from './close-names.js';
import { confirmationQuestion, type PendingAction } from './confirm.js';
import type { ShownScript } from './conversation.js';
import { LLM_SETTINGS_HINT } from './help.js';
import { attemptsText, generateChecked, generationFailed, rewritePrompt } from './llm-turn.js';
import { runScript } from './run-script.js';
import { scriptReplies } from './script-replies.js';
import { text, type Turn } from './turn.js';
import { plural } from '../../text.js';
import type { ChatReply } from './types.js';

const MAX_LISTED = 50;

const NO_LIBRARY: ChatReply[] = [text('The script library is not available here.')];

function propose(turn: Turn, action: PendingAction, replies: ChatReply[]): ChatReply[] {
  turn.conversation.pending = action;
  return [...replies, confirmationQuestion(action)];
}

/** The script called `name`, or the answer saying there is none (and which names are close). */
function lookUp(library: Library, name: string): ScriptRecord | ChatReply[] {
  const problem = isScriptName(name) ? null : `"${name}" is not a script name: names look like ${NAME_FORM}.`;
  if (problem === null) {
    try {
      return library.get(name);
    } catch (err) {
      if (!(err instanceof LibraryNotFoundError)) throw err;
    }
  }
  const close = closeNames(
    name,
    library.list().map((script) => script.name),
  );
  const hint = close.length > 0 ? ` Did you mean ${close.join(', ')}?` : ' "list code" shows the library.';
  return [text(`${problem ?? `No script ${name} in the library.`}${hint}`)];
}

export function listCodeTurn(turn: Turn): ChatReply[] {
  const { library } = turn.chat;
  if (!library) return NO_LIBRARY;
  const scripts = library.list();
  if (scripts.length === 0) {
    return [text('The library has no scripts yet: "generate code …" writes one.')];
  }
  const shown = scripts.slice(0, MAX_LISTED);
  const more = scripts.length > shown.length ? ` (the first ${shown.length} of ${scripts.length})` : '';
  return [
    {
      kind: 'table',
      title: `Scripts in the library${more}`,
      columns: ['name', 'version', 'description'],
      rows: shown.map((script) => [script.name, String(script.currentVersion), script.description]),
    },
  ];
}

async function performRun(turn: Turn, script: ScriptRecord): Promise<ChatReply[]> {
  const { run, replies } = await runScript(turn, {
    label: script.name,
    language: script.language,
    source: script.source,
  });
  try {
    turn.chat.library?.recordRun(script.name, script.version, run, turn.who);
  } catch (err) {
    // Deleted while it ran: there is no history left to record in.
    if (!(err instanceof LibraryNotFoundError)) throw err;
  }
  turn.conversation.lastScript = {
    fileName: script.name,
    source: script.source,
    origin: `${script.name} version ${script.version}`,
  };
  return replies;
}

export function runCodeTurn(turn: Turn, name: string): ChatReply[] {
  const { library } = turn.chat;
  if (!library) return NO_LIBRARY;
  const script = lookUp(library, name);
  if (Array.isArray(script)) return script;
  const dataset = turn.conversation.dataset;
  const where = dataset
    ? `It runs in your sandbox, next to your data (${dataset.fileName}).`
    : 'No data is loaded: it runs without any.';
  const description = script.description === '' ? '' : `: ${script.description}`;
  return propose(
    turn,
    {
      what: `run ${script.name} (version ${script.version})`,
      perform: (hooks) => performRun({ ...turn, hooks }, script),
    },
    [text(`${script.name}, version ${script.version}, ${script.language}${description}. ${where}`)],
  );
}

export function deleteCodeTurn(turn: Turn, name: string): ChatReply[] {
  const { library } = turn.chat;
  if (!library) return NO_LIBRARY;
  const script = lookUp(library, name);
  if (Array.isArray(script)) return script;
  const versions = library.versions(script.name).length;
  return propose(
    turn,
    {
      what: `delete ${script.name} with its ${plural(versions, 'version')} and run history`,
      perform: () => {
        const deleted = library.delete(script.name, { who: turn.who });
        const what = `${plural(deleted.versions, 'version')}, ${plural(deleted.runs, 'recorded run')}`;
        return Promise.resolve([text(`Deleted ${deleted.name} (${what}).`)]);
      },
    },
    [
      text(
        `${script.name} has ${plural(versions, 'version')}; deleting removes all of them and its run history.`,
      ),
    ],
  );
}

export interface UpdateRequest {
  name: string;
  instruction: string;
  /** New code sent verbatim in a fenced block. */
  code: string | null;
}

/** The new source: the code sent along, or the LLM's rewrite; or the answer saying why there is none. */
async function newSource(
  turn: Turn,
  script: ScriptRecord,
  request: UpdateRequest,
): Promise<{ source: string; how: string } | ChatReply[]> {
  if (request.code !== null) return { source: request.code, how: 'the code you sent' };
  const { llm } = turn.chat;
  const fence = `update code ${script.name} to \`\`\`${script.language} … \`\`\``;
  if (request.instruction === '') {
    return [
      text(
        `Say what to change: "update code ${script.name} to <what to change>", or send the new code: ${fence}`,
      ),
    ];
  }
  if (!llm) {
    return [
      text(
        `Rewriting ${script.name} from an instruction needs an LLM: ${LLM_SETTINGS_HINT}. ` +
          `Without one, send the new code in a fenced block: ${fence}`,
      ),
    ];
  }
  const prompt = rewritePrompt(script.name, script.language, script.source, request.instruction);
  const generation = await generateChecked(turn, llm, prompt, script.language);
  if (!generation.ok) return generationFailed(generation);
  return { source: generation.source, how: `${llm.model} (${attemptsText(generation)})` };
}

export async function updateCodeTurn(turn: Turn, request: UpdateRequest): Promise<ChatReply[]> {
  const { library } = turn.chat;
  if (!library) return NO_LIBRARY;
  const script = lookUp(library, request.name);
  if (Array.isArray(script)) return script;
  const proposed = await newSource(turn, script, request);
  if (Array.isArray(proposed)) return proposed;
  const source = proposed.source.endsWith('\n') ? proposed.source : `${proposed.source}\n`;
  if (source.trim() === '') return [text('The new code is empty: nothing to save.')];
  if (source === script.source) {
    return [text(`That is what version ${script.version} of ${script.name} already holds: nothing to save.`)];
  }
  const next = script.version + 1;
  const shown: ShownScript = {
    fileName: script.name,
    source,
    origin: `${proposed.how}, proposed as version ${next}`,
  };
  turn.conversation.lastScript = shown;
  const note = request.instruction === '' ? 'sent in the chat' : request.instruction.slice(0, 500);
  return propose(
    turn,
    {
      what: `save it as version ${next} of ${script.name}`,
      perform: () => {
        const updated = library.update(script.name, {
          source,
          note,
          baseVersion: script.version,
          who: turn.who,
        });
        return Promise.resolve([text(`Saved ${updated.name} version ${updated.version}.`)]);
      },
    },
    [text(`Version ${next} of ${script.name}, from ${proposed.how}:`), ...scriptReplies(shown)],
  );
}
