/**
 * The static checker's public types: what goes in, what comes out, and the rule catalogue's shape. What goes
 * in and out is one zod schema each (the faces validate and document with them); the types are inferred.
 */
import { z } from 'zod';
import { RunFindingSchema, type RunFinding } from '../engine/result.js';

export const CHECK_LANGUAGES = ['python', 'javascript', 'typescript', 'bash'] as const;
export type CheckLanguage = (typeof CHECK_LANGUAGES)[number];

export const CHECK_POLICIES = ['strict', 'warn', 'off'] as const;
/** strict: error findings block the run; warn: findings are reported, nothing blocks; off: no checking. */
export type CheckPolicy = (typeof CHECK_POLICIES)[number];

export const CheckPolicySchema = z
  .enum(CHECK_POLICIES)
  .describe('strict: error findings block; warn: report only; off: check nothing');

/**
 * The `checks` option of a run (run_code, POST /v1/runs, `scriptbox run --checks`): static checks before
 * the run, off unless asked for.
 */
export const RunChecksSchema = CheckPolicySchema.default('off').describe(
  'Static checks first: strict rejects a script with error findings without running it, warn runs it and ' +
    'reports them, off skips them (the default; the sandbox is the wall either way)',
);

/** A finding is what a checked run reports (engine/result.ts): one schema for both. */
export const FindingSchema = RunFindingSchema;
export type Finding = RunFinding;
export type Severity = Finding['severity'];

export const CheckReportSchema = z
  .object({
    policy: CheckPolicySchema,
    blocked: z
      .boolean()
      .describe('True only under strict with at least one error finding: a run would be rejected'),
    findings: z.array(FindingSchema).describe('Sorted by line, then column, then rule id'),
  })
  .describe("The static checks' verdict and their findings");
export type CheckReport = z.infer<typeof CheckReportSchema>;

export const CheckOptionsSchema = z
  .object({
    language: z.enum(CHECK_LANGUAGES).describe('The language of the script'),
    source: z.string().describe('The script source code'),
    policy: CheckPolicySchema.default('strict').describe(
      'strict: error findings block (the default); warn: report only; off: check nothing',
    ),
    network: z
      .boolean()
      .optional()
      .describe('The run will have network access: rules about network use do not apply (default false)'),
  })
  .strict();
/** What checkSource() takes (policy included: the default is the faces'). */
export type CheckOptions = z.output<typeof CheckOptionsSchema>;

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
