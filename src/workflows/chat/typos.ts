/**
 * "Did you mean …" for messages with a typo, so a slip of the keyboard gets the message it was meant as,
 * not the generic help:
 * - a command that does not exist, a letter or two off one that does: `/scirpt histogram price` →
 *   "/script histogram price";
 * - a request nobody understood whose words, put right, mean something: a word a letter or two off a
 *   word the chat knows (an analysis name or keyword, a trigger word, a column of the loaded table) is
 *   replaced by it, and the message suggested when it then parses to something (`histgram of price` →
 *   "histogram of price").
 * Analysis and column names typed after /script get their close names where they are answered
 * (engine.ts, analysis-turn.ts), from close-names.ts.
 */
import { closeNames, editDistance } from './close-names.js';
import { COMMAND_NAMES, parseIntent, type ParseContext } from './intent.js';

/** The words of the library triggers and phrases (intent.ts), as they are spelled there. */
const TRIGGER_WORDS = ['generate', 'update', 'delete', 'list', 'code', 'scripts', 'help', 'preview', 'show'];

/** Words shorter than this are left alone: most short words are a letter away from another. */
const MIN_WORD_LENGTH = 4;

/** One edit for a word of up to six letters, two from seven on ("histgram", "corelation"). */
function allowedDistance(word: string): number {
  return word.length >= 7 ? 2 : 1;
}

const WORD = /[\p{L}\p{N}_]+/gu;

function knownWords(context: ParseContext): string[] {
  const words = [
    ...context.analyses.flatMap((analysis) => [analysis.name, ...analysis.keywords]),
    ...TRIGGER_WORDS,
    ...context.columns,
  ];
  // Only single words are put right (a name with spaces is matched whole or not at all).
  return [...new Set(words.filter((word) => word.match(WORD)?.[0] === word))];
}

/** The known word `word` is a typo of, or undefined (it is known itself, or nothing is near enough). */
function correction(word: string, known: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length < MIN_WORD_LENGTH || known.some((each) => each.toLowerCase() === lower)) return undefined;
  let best: string | undefined;
  let bestDistance = allowedDistance(lower) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `text` with its typos put right, when that makes it a message the chat understands; else null. */
export function correctedMessage(text: string, context: ParseContext): string | null {
  const known = knownWords(context);
  let changed = false;
  const corrected = text.replace(WORD, (word) => {
    const fixed = correction(word, known);
    if (fixed === undefined) return word;
    changed = true;
    return fixed;
  });
  if (!changed) return null;
  return parseIntent(corrected, context).kind === 'free' ? null : corrected;
}

/** The answer to `/<command> <args>` for a command that does not exist. */
export function unknownCommandText(command: string, args: string): string {
  const [close] = closeNames(command, COMMAND_NAMES);
  const commands = COMMAND_NAMES.map((name) => `/${name}`).join(', ');
  if (close === undefined) return `There is no command /${command}. The commands are ${commands}.`;
  const meant = [`/${close}`, ...(args === '' ? [] : [args])].join(' ');
  return `There is no command /${command}. Did you mean "${meant}"?`;
}
