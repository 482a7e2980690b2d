/**
 * An example of how to call an analysis, carried by an error about the columns it was given instead of
 * being written into its message: each face says it in its own syntax (the chat `/script regression price
 * area`, the CLI `scriptbox analyze flats.csv regression price area`, the analyze_table tool its
 * arguments), and the library API leaves it as data (`data.example`). A message never names another
 * face's command.
 */
import { InvalidOptionsError, type ScriptboxError } from '../../errors.js';

export interface AnalysisExample {
  analysis: string;
  /** Column names in the order the analysis takes them (`<column>` where any fitting one will do). */
  columns: string[];
}

/** Throws InvalidOptionsError with `message` and the example as `data.example`. */
export function failWithExample(message: string, example: AnalysisExample): never {
  throw new InvalidOptionsError(message, [message], { data: { example } });
}

/** The example an error carries, if any. */
export function exampleOf(err: ScriptboxError): AnalysisExample | undefined {
  const example: unknown = err.data['example'];
  if (typeof example !== 'object' || example === null) return undefined;
  const analysis: unknown = Reflect.get(example, 'analysis');
  const columns: unknown = Reflect.get(example, 'columns');
  if (typeof analysis !== 'string' || !Array.isArray(columns)) return undefined;
  if (!columns.every((column) => typeof column === 'string')) return undefined;
  return { analysis, columns };
}

/** The message of `err`, then its example as the face `say`s it: `…, e.g. /script regression price`. */
export function messageWithExample(err: ScriptboxError, say: (example: AnalysisExample) => string): string {
  const example = exampleOf(err);
  return example === undefined ? err.message : `${err.message}, e.g. ${say(example)}`;
}

/**
 * `err` again with its message in a face's words (messageWithExample), for a face that reports errors by
 * throwing them; errors without an example come back as they are.
 */
export function withExampleSaid(err: unknown, say: (example: AnalysisExample) => string): unknown {
  if (!(err instanceof InvalidOptionsError) || exampleOf(err) === undefined) return err;
  const message = messageWithExample(err, say);
  return new InvalidOptionsError(message, [message], { data: err.data, cause: err });
}
