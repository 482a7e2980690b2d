/**
 * Script names: `category_task_NNN.ext`, e.g. `math_addition_001.py` or `stats_train_classifier_012.py`.
 *
 * - category: a lowercase letter, then lowercase letters or digits (no underscore: the first `_` ends it),
 *   at most 32 characters;
 * - task: lowercase words joined by single underscores, the first word starting with a letter
 *   (`addition`, `train_classifier`, `top_10`), at most 64 characters;
 * - NNN: the number, at least 3 digits, zero-padded to 3 and no further (`001`, `042`, `1000`; not `0001`,
 *   not `000`); numbers are given per category/task and never reused;
 * - ext: from the language: .py python, .js javascript, .ts typescript, .sh bash.
 *
 * A name is accepted only if it is exactly the canonical spelling of its parts, so one script has one
 * name, and nothing that could act as a path (`/`, `..`, NUL, whitespace) can get through.
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';

export const LIBRARY_LANGUAGES = ['python', 'javascript', 'typescript', 'bash'] as const;
export type LibraryLanguage = (typeof LIBRARY_LANGUAGES)[number];

export const EXTENSION_BY_LANGUAGE: Readonly<Record<LibraryLanguage, string>> = {
  python: '.py',
  javascript: '.js',
  typescript: '.ts',
  bash: '.sh',
};

export const NAME_FORM = 'category_task_NNN.ext, e.g. math_addition_001.py';
const NAME_RULES =
  'category: a lowercase letter then lowercase letters or digits; task: lowercase words joined by single ' +
  'underscores; NNN: 3 or more digits (001); ext: .py, .js, .ts or .sh';

export const MAX_CATEGORY_LENGTH = 32;
export const MAX_TASK_LENGTH = 64;
const MAX_NUMBER = 999_999_999;
const MAX_NAME_LENGTH = MAX_CATEGORY_LENGTH + MAX_TASK_LENGTH + 16;

const CATEGORY_RE = /^[a-z][a-z0-9]*$/;
const TASK_RE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const NAME_RE = /^([a-z][a-z0-9]*)_([a-z][a-z0-9]*(?:_[a-z0-9]+)*)_([0-9]{3,})\.(py|js|ts|sh)$/;

export const CategorySchema = z
  .string()
  .max(MAX_CATEGORY_LENGTH)
  .regex(CATEGORY_RE, 'a lowercase letter then lowercase letters or digits, like math or stats2')
  .describe('The first part of the name: what area the script belongs to (math, stats)');

export const TaskSchema = z
  .string()
  .max(MAX_TASK_LENGTH)
  .regex(TASK_RE, 'lowercase words joined by single underscores, like addition or train_classifier')
  .describe('The second part of the name: what the script does (addition, train_classifier)');

export interface ScriptNameParts {
  category: string;
  task: string;
  number: number;
  language: LibraryLanguage;
}

export interface ScriptName extends ScriptNameParts {
  name: string;
}

const LANGUAGE_BY_EXTENSION = new Map<string, LibraryLanguage>(
  LIBRARY_LANGUAGES.map((language) => [EXTENSION_BY_LANGUAGE[language].slice(1), language]),
);

/** `math_addition_001.py` from its parts. */
export function formatScriptName(parts: ScriptNameParts): string {
  const number = String(parts.number).padStart(3, '0');
  return `${parts.category}_${parts.task}_${number}${EXTENSION_BY_LANGUAGE[parts.language]}`;
}

/** Why a name is refused, in words, or null when it is well-formed. */
function nameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('/') || name.includes('\\') || name.includes('..')) return 'it looks like a path';
  if (/\s/.test(name)) return 'it contains whitespace';
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  return null;
}

function invalidName(name: string, why: string): InvalidOptionsError {
  const issue = `invalid script name ${JSON.stringify(name)}: ${why}; expected ${NAME_FORM} (${NAME_RULES})`;
  return new InvalidOptionsError(issue, [issue], { data: { name } });
}

/** The parts of a name, or why it is refused. */
function readScriptName(name: string): ScriptName | string {
  const problem = nameProblem(name);
  if (problem !== null) return problem;
  const match = NAME_RE.exec(name);
  const [, category, task, digits, extension] = match ?? [];
  const language = extension === undefined ? undefined : LANGUAGE_BY_EXTENSION.get(extension);
  if (category === undefined || task === undefined || digits === undefined || language === undefined) {
    return 'it is not of that form';
  }
  const number = Number(digits);
  if (category.length > MAX_CATEGORY_LENGTH || task.length > MAX_TASK_LENGTH) {
    return 'its category or task is too long';
  }
  if (number < 1 || number > MAX_NUMBER) return 'its number is out of range';
  const parts = { category, task, number, language };
  if (formatScriptName(parts) !== name) {
    return `its number is not written canonically (${formatScriptName(parts)})`;
  }
  return { ...parts, name };
}

/** The parts of a valid name; anything else throws InvalidOptionsError saying the expected form. */
export function parseScriptName(name: string): ScriptName {
  const read = readScriptName(name);
  if (typeof read === 'string') throw invalidName(name, read);
  return read;
}

/** True for a well-formed name. */
export function isScriptName(name: string): boolean {
  return typeof readScriptName(name) !== 'string';
}

/** A script name, refused where parseScriptName refuses it, with the same words (why, and the expected form). */
export const ScriptNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    const read = readScriptName(name);
    if (typeof read === 'string') ctx.addIssue({ code: 'custom', message: invalidName(name, read).message });
  })
  .describe(`A library script name, ${NAME_FORM}`);
