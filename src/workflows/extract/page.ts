/**
 * The first source's page for the LLM: fetched by a tiny Python script in the sandbox, granted that
 * source's host only (the same proxy and policy as the extraction itself, never from the host directly),
 * then cut into an excerpt the model can read: scripts, styles and comments dropped, whitespace runs
 * collapsed, at most `maxChars` characters.
 */
import type { RunOpts } from '../../engine/options.js';
import type { RunResult } from '../../engine/result.js';
import { allowFor } from './grant.js';
import type { Source } from './sources.js';

/** Most bytes of the page read. */
const MAX_PAGE_BYTES = 512 * 1024;
export const DEFAULT_EXCERPT_CHARS = 8000;

const FETCH_SCRIPT = `import json, sys, urllib.error, urllib.request
source = json.load(sys.stdin)
request = urllib.request.Request(source["url"], headers={"User-Agent": "scriptbox-extract/1"})
try:
    response = urllib.request.urlopen(request, timeout=30)
except urllib.error.HTTPError as err:
    response = err
body = response.read(${MAX_PAGE_BYTES + 1})
charset = response.headers.get_content_charset() or "utf-8"
print(json.dumps({
    "status": response.getcode(),
    "contentType": response.headers.get("content-type", ""),
    "text": body[:${MAX_PAGE_BYTES}].decode(charset, "replace"),
    "truncated": len(body) > ${MAX_PAGE_BYTES},
}))
`;

export interface PageFetch {
  ok: boolean;
  status: number | null;
  contentType: string;
  /** The page as text (at most 512 KiB of it). */
  text: string;
  truncated: boolean;
  /** Why it could not be fetched; null when it was. */
  error: string | null;
  /** CPU time of the fetch's run (what a server charges for it). */
  cpuMs: number;
}

export interface PageEngine {
  run(opts: RunOpts): Promise<RunResult>;
}

/**
 * Fetches `source`'s page in the sandbox (python), granted its host plus `extraAllow`; `onNetwork` gets the
 * fetch's egress decisions (RunOpts.onNetwork).
 */
export async function fetchPage(
  engine: PageEngine,
  source: Source,
  extraAllow: readonly string[],
  signal?: AbortSignal,
  onNetwork?: RunOpts['onNetwork'],
): Promise<PageFetch> {
  const run = await engine.run({
    language: 'python',
    source: FETCH_SCRIPT,
    stdin: JSON.stringify(source),
    network: { allow: allowFor(source, extraAllow) },
    limits: { timeoutMs: 60_000, maxOutputBytes: 4 * MAX_PAGE_BYTES },
    ...(signal ? { signal } : {}),
    ...(onNetwork ? { onNetwork } : {}),
  });
  const cpuMs = Math.round(run.usage.cpuMs);
  const failed = (error: string): PageFetch => ({
    ok: false,
    status: null,
    contentType: '',
    text: '',
    truncated: false,
    error,
    cpuMs,
  });
  if (!run.ok) return failed(run.error?.message ?? `the fetch exited with code ${String(run.exitCode)}`);
  try {
    const page = JSON.parse(run.stdout) as Omit<PageFetch, 'ok' | 'error' | 'cpuMs'>;
    return { ...page, ok: page.status !== null && page.status < 400, error: null, cpuMs };
  } catch {
    return failed('the fetch printed something unexpected');
  }
}

/** What the model sees of a page: no scripts, styles or comments, whitespace collapsed, cut at `maxChars`. */
export function pageExcerpt(text: string, maxChars = DEFAULT_EXCERPT_CHARS): string {
  const lean = text
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '<$1>…</$1>')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n');
  return lean.length <= maxChars
    ? lean
    : `${lean.slice(0, maxChars)}\n… (cut: ${lean.length - maxChars} more characters)`;
}
