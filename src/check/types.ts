/** The static checker's public types: what goes in, what comes out, and the rule catalogue's shape. */

export const CHECK_LANGUAGES = ['python', 'javascript', 'typescript', 'bash'] as const;
export type CheckLanguage = (typeof CHECK_LANGUAGES)[number];

export const CHECK_POLICIES = ['strict', 'warn', 'off'] as const;
/** strict: error findings block the run; warn: findings are reported, nothing blocks; off: no checking. */
export type CheckPolicy = (typeof CHECK_POLICIES)[number];

export type Severity = 'error' | 'warning';

export interface Finding {
  /** Stable rule id from RULES, e.g. `py/process-spawn`. */
  rule: string;
  severity: Severity;
  /** What was found, why it is refused, and that the sandbox would contain it anyway. */
  message: string;
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units (as acorn, V8 and the runners count). */
  column: number;
}

export interface CheckReport {
  policy: CheckPolicy;
  /** True only under `strict` with at least one `error` finding. */
  blocked: boolean;
  /** Sorted by line, then column, then rule id. */
  findings: Finding[];
}

export interface CheckOptions {
  language: CheckLanguage;
  source: string;
  policy: CheckPolicy;
  /** Whether the run will have network access; rules about network use apply only without it. Default false. */
  network?: boolean;
}

export interface RuleInfo {
  id: string;
  severity: Severity;
  /** The languages the rule applies to (JavaScript rules also check TypeScript). */
  languages: readonly CheckLanguage[];
  /** Why the rule exists; the second half of every finding's message. */
  description: string;
  /** Set for rules about network use: they are skipped when the run has network access. */
  onlyWithoutNetwork?: true;
}
