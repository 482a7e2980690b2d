/**
 * What the model is told: the system prompt (language, libraries, sandbox rules, how inputs arrive and
 * results leave), the repair request after a failed attempt, and how code is taken out of a reply.
 */
import type { PartialLimits } from '../../engine/options.js';
import type { RunError, RunResult } from '../../engine/result.js';
import type { ChatMessage } from './provider.js';

interface LanguageNotes {
  /** Info strings of fenced blocks that hold this language; the first is the one we ask for. */
  fences: string[];
  libraries: string;
}

const NOTES: Record<string, LanguageNotes> = {
  python: {
    fences: ['python', 'py', 'python3'],
    libraries:
      'Python 3 with its standard library, pandas, numpy, scipy, scikit-learn (sklearn) and matplotlib ' +
      '(call matplotlib.use("Agg") before importing pyplot; save figures under out/)',
  },
  javascript: {
    fences: ['javascript', 'js', 'node', 'mjs', 'cjs'],
    libraries: 'Node.js 20 and its built-in modules (node:fs, node:path, ...); no npm packages',
  },
  typescript: {
    fences: ['typescript', 'ts'],
    libraries: 'Node.js 20 and its built-in modules; types are stripped, not checked; no npm packages',
  },
  bash: {
    fences: ['bash', 'sh', 'shell'],
    libraries: 'bash and the usual command-line tools under /usr/bin (coreutils, grep, sed, awk)',
  },
};

function notesFor(language: string): LanguageNotes {
  return (
    NOTES[language] ?? { fences: [language], libraries: `the ${language} runtime and its standard library` }
  );
}

export interface PromptContext {
  language: string;
  /** Base names of the input files in the work directory. */
  inputs: string[];
  limits: PartialLimits;
  /** Replace DEFAULT_ENVIRONMENT_RULES (network, standard input, what to print); absent: the defaults. */
  environmentRules?: readonly string[] | undefined;
}

/** The default rules about how a script meets the world: what a one-shot run without network expects. */
export const DEFAULT_ENVIRONMENT_RULES = {
  network: 'There is no network: do not download, install or call anything over the network.',
  io: [
    'Standard input is empty; do not ask for input.',
    'Print the result on standard output as ONE JSON object and nothing else; diagnostics go to standard error.',
  ],
} as const;

export function systemPrompt(context: PromptContext): string {
  const { language, inputs, limits, environmentRules } = context;
  const fence = notesFor(language).fences[0] ?? language;
  const inputText =
    inputs.length > 0
      ? `The working directory holds the input files ${inputs.join(', ')} (read-only); open them by relative path.`
      : 'No input files are given; the working directory is empty apart from out/.';
  const limitText = [
    limits.timeoutMs !== undefined ? `${limits.timeoutMs} ms of wall time` : '',
    limits.memoryMb !== undefined ? `${limits.memoryMb} MiB of memory` : '',
  ].filter(Boolean);
  return [
    `You write one complete, self-contained ${language} script. scriptbox runs it in a sandbox.`,
    '',
    'Rules of the sandbox:',
    ...(environmentRules ? [] : [`- ${DEFAULT_ENVIRONMENT_RULES.network}`]),
    `- Available: ${notesFor(language).libraries}. Nothing else can be installed.`,
    `- ${inputText}`,
    '- Write every file you produce under out/ (relative to the working directory); nothing else is kept.',
    ...(environmentRules ?? DEFAULT_ENVIRONMENT_RULES.io).map((rule) => `- ${rule}`),
    ...(limitText.length > 0 ? [`- The script has at most ${limitText.join(' and ')}.`] : []),
    '',
    `Reply with the whole script in a single fenced code block that starts with \`\`\`${fence}.`,
  ].join('\n');
}

export function initialMessages(context: PromptContext, prompt: string): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(context) },
    { role: 'user', content: prompt },
  ];
}

/** The last `max` characters of `text`, marked when cut. */
function tail(text: string, max: number): string {
  return text.length <= max ? text : `...${text.slice(-max)}`;
}

export interface FailedAttempt {
  error: RunError;
  run: RunResult | null;
}

/** The user message after a failed attempt: what went wrong, the error output, and what to send back. */
export function repairMessage(language: string, failed: FailedAttempt): string {
  const fence = notesFor(language).fences[0] ?? language;
  const { error, run } = failed;
  const where = error.line !== undefined ? ` at line ${error.line}` : '';
  const parts = [`The script failed (${error.kind}${where}): ${error.message}`];
  if (run && run.stderr.trim() !== '' && run.stderr.trim() !== error.message.trim()) {
    parts.push(`Its standard error:\n\`\`\`\n${tail(run.stderr.trimEnd(), 4000)}\n\`\`\``);
  }
  if (run && run.stdout.trim() !== '') {
    parts.push(`Its standard output:\n\`\`\`\n${tail(run.stdout.trimEnd(), 1000)}\n\`\`\``);
  }
  parts.push(`Fix it. Reply with the complete corrected script in one \`\`\`${fence} block.`);
  return parts.join('\n\n');
}

/** A reply for a source that did not come from the model (a cache hit), so a repair can follow it. */
export function asReply(language: string, source: string): string {
  return `\`\`\`${notesFor(language).fences[0] ?? language}\n${source.trimEnd()}\n\`\`\``;
}

const FENCED = /^[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm;

/**
 * The code in a reply: the longest fenced block tagged with the language (or one of its aliases), else
 * the longest untagged block, else an unclosed fence's rest (a reply cut short), else the whole reply.
 */
export function extractCode(reply: string, language: string): string {
  const fences = new Set(notesFor(language).fences);
  const tagged: string[] = [];
  const untagged: string[] = [];
  for (const match of reply.matchAll(FENCED)) {
    const info = (match[2] ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    const body = match[3] ?? '';
    if (fences.has(info)) tagged.push(body);
    else if (info === '') untagged.push(body);
  }
  const longest = (blocks: string[]): string | undefined =>
    blocks.reduce<string | undefined>(
      (best, block) => (best === undefined || block.length > best.length ? block : best),
      undefined,
    );
  const found = longest(tagged) ?? longest(untagged);
  if (found !== undefined) return found.trimEnd() + '\n';
  const open = /^[ \t]*```[ \t]*([^\n`]*)\n([\s\S]*)$/m.exec(reply);
  if (open && fences.has((open[1] ?? '').trim().toLowerCase())) return (open[2] ?? '').trimEnd() + '\n';
  const whole = reply.trim();
  return whole === '' ? '' : `${whole}\n`;
}
