/** The doctor report: one check per requirement, and its human rendering. */

export interface DoctorCheck {
  name: string;
  /** Required checks must pass for `doctor` to exit 0; the others are reported only. */
  required: boolean;
  ok: boolean;
  detail: string;
  /** What to do about a failure (null when ok). */
  fix: string | null;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export const check = (
  name: string,
  ok: boolean,
  detail: string,
  fix: string,
  required = true,
): DoctorCheck => ({
  name,
  required,
  ok,
  detail,
  fix: ok ? null : fix,
});

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** One line per check (✓/✗), the fix indented under each failing one, then a verdict. */
export function renderReport(report: DoctorReport): string {
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
      ? `${failedRequired} required check(s) failed: scriptbox refuses to run scripts until they are fixed.`
      : failedOptional > 0
        ? `scriptbox can run scripts; ${failedOptional} optional check(s) failed.`
        : 'all checks passed: scriptbox can run scripts here.',
  );
  return `${lines.join('\n')}\n`;
}
