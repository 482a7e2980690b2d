/** `scriptbox doctor`'s rendering of the sandbox self-test (sandbox/self-test.ts runs the checks). */
import type { SelfTestReport } from '../../sandbox/self-test-check.js';
import { plural } from '../../text.js';

/** One line per check (✓/✗), the fix indented under each failing one, then a verdict. */
export function renderReport(report: SelfTestReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of report.checks) {
    const optional = c.required ? '' : ' (optional)';
    lines.push(`${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.detail}${c.ok ? '' : optional}`);
    if (!c.ok && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const failedRequired = report.checks.filter((c) => c.required && !c.ok).length;
  const failedOptional = report.checks.filter((c) => !c.required && !c.ok).length;
  lines.push(
    '',
    failedRequired > 0
      ? `${plural(failedRequired, 'required check')} failed: scriptbox refuses to run scripts until they are fixed.`
      : failedOptional > 0
        ? `scriptbox can run scripts; ${plural(failedOptional, 'optional check')} failed.`
        : 'all checks passed: scriptbox can run scripts here.',
  );
  return `${lines.join('\n')}\n`;
}
