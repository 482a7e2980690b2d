/**
 * Check, then run: the static checker's policy applied in front of any run (one-shot, session, library
 * script). `strict` turns a script with error findings into a `rejected` result without running it; `warn`
 * runs it and reports the findings with the result; `off` runs it unchecked. The sandbox is the wall
 * either way: the checker only gives early, explainable refusals.
 */
import { checkSource, formatFinding, isCheckLanguage, type CheckPolicy } from '../check/index.js';
import type { RunResult } from '../engine/result.js';
import { baseResult } from '../engine/to-result.js';
import { plural } from '../text.js';

export interface CheckedRunOpts {
  /** The runtime's name (python, javascript, typescript, bash, or a configured one the checker skips). */
  language: string;
  source: string;
  policy: CheckPolicy;
  /** Whether the run has network access (rules about network use apply only without it). */
  network?: boolean;
  run: () => Promise<RunResult>;
}

export async function checkedRun(opts: CheckedRunOpts): Promise<RunResult> {
  const { language, source, policy } = opts;
  if (policy === 'off' || !isCheckLanguage(language)) return opts.run();
  const report = await checkSource({ language, source, policy, network: opts.network ?? false });
  if (report.blocked) {
    const errors = report.findings.filter((finding) => finding.severity === 'error');
    const first = errors[0];
    const message =
      `rejected by the static checks (${plural(errors.length, 'error')}; ` +
      `the first: ${first ? formatFinding(first, 'script') : 'unknown'}). ` +
      'Change the script, or pass checks "warn" to run it anyway: the sandbox still holds.';
    return {
      ...baseResult(language, source),
      error: { kind: 'rejected', message, ...(first ? { line: first.line, column: first.column } : {}) },
      findings: report.findings,
    };
  }
  const result = await opts.run();
  return report.findings.length > 0 ? { ...result, findings: report.findings } : result;
}

/** The checker as the LLM repair loop's hook: a blocked script goes back to the model with the findings. */
export async function checkForRepair(
  language: string,
  source: string,
): Promise<{ ok: boolean; message: string }> {
  if (!isCheckLanguage(language)) return { ok: true, message: '' };
  const report = await checkSource({ language, source, policy: 'strict' });
  const lines = report.findings.map((finding) => formatFinding(finding, 'script'));
  return { ok: !report.blocked, message: lines.join('\n') };
}
