/**
 * A pack's prelude: code shared by the templates of one pack, written once and inlined into every script
 * generated from them, so a generated script stays one self-contained file.
 *
 * - The prelude is `_prelude<ext>.njk` in the pack directory (`templates/stats/_prelude.py.njk`); it
 *   belongs to the pack's templates with the same extension and only to them. Nothing else is looked up:
 *   not another pack's prelude, not a parent directory's, and templates still cannot include, import or
 *   extend anything (see template-check.ts).
 * - Each of those templates marks where it goes with a line holding only `{# prelude #}` (a nunjucks
 *   comment, so the template stays valid nunjucks), outside every block, exactly once. A pack without a
 *   prelude is not changed in any way, and a marker there is an error.
 * - The prelude is nunjucks like a template (literal filters only, no includes) and is compiled once per
 *   pack. Each render fills in the template and the prelude with the same parameters and puts the
 *   prelude's text where the marker line was, so problems are reported with the right file and line.
 */
import { InvalidOptionsError } from '../errors.js';

/** What a template writes, on a line of its own, where the prelude goes. */
export const PRELUDE_MARKER = '{# prelude #}';

/** The marker line: `{# prelude #}` alone on a line (whitespace around it, and `{#-`/`-#}`, allowed). */
const MARKER_LINE = /^[ \t]*\{#-?[ \t]*prelude[ \t]*-?#\}[ \t]*\r?$/gm;

/**
 * What the marker line becomes before compiling: plain template text that no parameter can produce (the
 * literal filters escape NUL), found again in the rendered output and replaced by the rendered prelude.
 */
export const PRELUDE_SENTINEL = '\u0000scriptbox-prelude\u0000';

/** `_prelude.py.njk` -> `.py`; undefined for any other file name. */
export function preludeExtension(fileName: string): string | undefined {
  return /^_prelude(\.[^.]+)\.njk$/.exec(fileName)?.[1];
}

/** How many marker lines `source` holds. */
export function countPreludeMarkers(source: string): number {
  return source.match(MARKER_LINE)?.length ?? 0;
}

/** The template text to compile: its marker line replaced by the sentinel (line numbers unchanged). */
export function markPrelude(source: string): string {
  return source.replace(MARKER_LINE, PRELUDE_SENTINEL);
}

/**
 * The rendered template with its sentinel replaced by the rendered prelude (the marker line's own line
 * break follows the prelude, so a prelude file's final newline is not doubled).
 */
export function insertPrelude(rendered: string, prelude: string, templatePath: string): string {
  const parts = rendered.split(PRELUDE_SENTINEL);
  if (parts.length !== 2) {
    const issue =
      `${templatePath}: the ${PRELUDE_MARKER} line was rendered ${parts.length - 1} times; ` +
      'put it outside {% if %}, {% for %} and other blocks, so the prelude goes in exactly once';
    throw new InvalidOptionsError(issue, [issue]);
  }
  const [head = '', tail = ''] = parts;
  return `${head}${tail.startsWith('\n') ? prelude.replace(/\n$/, '') : prelude}${tail}`;
}
