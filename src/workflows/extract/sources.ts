/**
 * The sources of an extraction: what a sources file holds (one URL per line, or one JSON object per line
 * with `url` and any extra fields; `#` comments and blank lines skipped) and how each URL is checked (http
 * or https, a host, no spaces). Problems name the file and line and say what to write instead.
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../../errors.js';

/** Most sources one extraction takes. */
export const MAX_SOURCES = 10_000;
/** Longest URL a source may have (it reaches the script as SOURCE_URL too). */
export const MAX_URL_CHARS = 8_192;

/** Why `text` is not a URL an extraction can fetch, or null when it is one. */
export function urlProblem(text: string): string | null {
  if (/\s/.test(text)) return 'a URL has no spaces (write %20)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]|\p{Cs}/u.test(text))
    return 'a URL has no control characters or lone surrogates (write them %-encoded)';
  if (text.length > MAX_URL_CHARS) return `the URL is longer than ${MAX_URL_CHARS} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL; write it in full, like https://example.com/page';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${url.protocol.slice(0, -1)} is not supported: only http:// and https:// URLs`;
  }
  if (url.hostname === '') return 'the URL has no host; write it like https://example.com/page';
  return null;
}

/** A source: its URL and whatever else the sources file gave with it (all of it reaches the script). */
export const SourceSchema = z
  .object({
    url: z
      .string()
      .superRefine((text, ctx) => {
        const problem = urlProblem(text);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe('The http or https URL of the source; the script is granted its host only'),
  })
  .catchall(z.unknown())
  .describe('One source: `url` plus any extra fields, given to the script as JSON on stdin');
export type Source = z.infer<typeof SourceSchema>;

/** One problem of a sources file, with its 1-based line. */
export interface SourceProblem {
  line: number;
  message: string;
}

/** A comment (`#` first) or blank line: skipped. */
const SKIPPED = /^\s*(#.*)?$/;

/**
 * The sources of a sources file. `name` is how messages name the file. Every bad line is reported at
 * once: InvalidOptionsError whose issues are `<name> line N: what is wrong`.
 */
export function parseSources(text: string, name = 'sources'): Source[] {
  const sources: Source[] = [];
  const problems: SourceProblem[] = [];
  text.split('\n').forEach((raw, at) => {
    const line = raw.replace(/\r$/, '');
    if (SKIPPED.test(line)) return;
    const parsed = parseLine(line.trim());
    if ('problem' in parsed) problems.push({ line: at + 1, message: parsed.problem });
    else sources.push(parsed.source);
  });
  const issues = problems.map((p) => `${name} line ${p.line}: ${p.message}`);
  if (issues.length === 0 && sources.length === 0) {
    issues.push(
      `${name} holds no sources: write one URL per line (https://example.com/a), or one JSON object ` +
        'per line with a "url" field; lines starting with # are comments',
    );
  }
  if (sources.length > MAX_SOURCES) {
    issues.push(`${name} holds ${sources.length} sources; one extraction takes at most ${MAX_SOURCES}`);
  }
  if (issues.length > 0) {
    const shown = issues.slice(0, 20);
    const more = issues.length > shown.length ? `\n  and ${issues.length - shown.length} more` : '';
    throw new InvalidOptionsError(`invalid sources:\n  ${shown.join('\n  ')}${more}`, issues);
  }
  return sources;
}

function parseLine(line: string): { source: Source } | { problem: string } {
  if (!line.startsWith('{')) {
    const problem = urlProblem(line);
    return problem === null ? { source: { url: line } } : { problem: `${quote(line)}: ${problem}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'not a JSON object; write {"url": "https://...", ...} on one line' };
  }
  const checked = SourceSchema.safeParse(value);
  if (checked.success) return { source: checked.data };
  const issue = checked.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'url';
  const missing = typeof value === 'object' && value !== null && !('url' in value);
  return {
    problem: missing
      ? 'the object has no "url" field; write {"url": "https://...", ...}'
      : `${field}: ${issue?.message ?? 'invalid'}`,
  };
}

/** A line as messages quote it: JSON-quoted (control characters escaped), cut when long. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 79)}…` : text);
}

/**
 * A URL as logs and progress may show it: no user name or password, and the query replaced by `?…` (query
 * strings often carry keys).
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    const query = url.search !== '' ? '?…' : '';
    url.search = '';
    url.hash = '';
    return `${url.href}${query}`;
  } catch {
    return '(not a URL)';
  }
}
