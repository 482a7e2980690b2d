/**
 * Errors in each face's words. The engine names a limit `limits.timeoutMs` (as the library, the HTTP API
 * and MCP take it); the CLI says `--timeout`, Piston `run_timeout`. Where to look to fix a mistake
 * (`data.see`) is `scriptbox templates list` on the CLI, GET /v1/templates over HTTP. Each face states its
 * words once (FaceWords) and formats the errors it reports with inFaceWords(): a limit above its ceiling,
 * every validation issue about a limit (`limits.timeoutMs: Too small: expected number to be >=1`), and
 * the pointer after the message.
 */
import { InvalidOptionsError, withSeeAlso, seeAlsoOf, type ScriptboxError, type SeeAlso } from '../errors.js';
import { LimitAboveCeilingError, type CeilingBreach, type LimitName } from './ceilings.js';

export interface FaceWords {
  /** The face's name for each limit it has one for (`--timeout`); the others stay `limits.<name>`. */
  limits: Readonly<Partial<Record<LimitName, string>>>;
  /** A limit above its ceiling in the face's words (default: the engine's message, `limits.<name>`). */
  ceiling?: (breach: CeilingBreach) => string;
  /** Said after an issue about a limit the face counts in other units (Piston's memory is in bytes). */
  units?: Readonly<Partial<Record<LimitName, string>>>;
  /** Where to look (`data.see`) as the face's command, route or tool; without it nothing is added. */
  see?: (see: SeeAlso) => string;
}

/** The engine's words, `limits.<name>`, and no pointer: what the library API says. */
export const ENGINE_WORDS: FaceWords = { limits: {} };

export interface Worded {
  message: string;
  /** InvalidOptionsError's issues (`path: problem`), in the same words. */
  issues?: string[];
}

/** A top-level `limits.<name>` path, not one inside another (`items.0.limits.x` is not a face's knob). */
const LIMIT_PATH = /(?<![\w.])limits\.([A-Za-z]+)/g;

/** One issue (`limits.memoryMb: Too small: ...`) with the face's names, and its units note when it has one. */
function rewordIssue(issue: string, words: FaceWords): string {
  let note = '';
  const worded = issue.replace(LIMIT_PATH, (whole, key: string) => {
    const name = Object.hasOwn(words.limits, key) ? words.limits[key as LimitName] : undefined;
    if (name === undefined) return whole;
    const unit = words.units?.[key as LimitName];
    if (unit !== undefined) note = ` (${unit})`;
    return name;
  });
  return worded + note;
}

function issuesOf(err: ScriptboxError): string[] | undefined {
  const issues = err.data['issues'];
  return Array.isArray(issues) && issues.every((issue) => typeof issue === 'string') ? issues : undefined;
}

/**
 * The message (and issues) of `err` as a face says them: a limit above its ceiling with `words.ceiling`,
 * each `limits.<name>` of a validation issue with the face's name for it, then where to look (`data.see`).
 */
export function inFaceWords(err: ScriptboxError, words: FaceWords): Worded {
  const see = seeAlsoOf(err);
  const where = see && words.see ? words.see(see) : undefined;
  const issues = issuesOf(err);
  if (err instanceof LimitAboveCeilingError && words.ceiling) {
    return { message: withSeeAlso(words.ceiling(err.breach), where) };
  }
  if (!(err instanceof InvalidOptionsError) || issues === undefined) {
    return { message: withSeeAlso(err.message, where), ...(issues ? { issues } : {}) };
  }
  let message = err.message;
  const worded = issues.map((issue) => {
    const said = rewordIssue(issue, words);
    message = message.replace(issue, () => said);
    return said;
  });
  return { message: withSeeAlso(message, where), issues: worded };
}
