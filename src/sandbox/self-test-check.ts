/** The sandbox self-test's report: one check per requirement of a sandboxed run, with how to fix it. */

export interface SelfTestCheck {
  name: string;
  /** Required checks must pass for scriptbox to run scripts (`doctor` exits 0); the others are reported only. */
  required: boolean;
  ok: boolean;
  detail: string;
  /** What to do about a failure (null when ok). */
  fix: string | null;
}

export interface SelfTestReport {
  ok: boolean;
  checks: SelfTestCheck[];
}

export const check = (
  name: string,
  ok: boolean,
  detail: string,
  fix: string,
  required = true,
): SelfTestCheck => ({
  name,
  required,
  ok,
  detail,
  fix: ok ? null : fix,
});

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The report of `checks`: ok when every required one passed. */
export function selfTestReport(checks: SelfTestCheck[]): SelfTestReport {
  return { ok: checks.every((c) => c.ok || !c.required), checks };
}
