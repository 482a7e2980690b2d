/** The static checker: early, explainable rejections before a script runs (the sandbox stays the wall). */
export { checkSource } from './check.js';
export { checkLanguage, formatFinding, isCheckLanguage } from './format.js';
export { loadGrammar } from './parsers.js';
export { RULES, ruleInfo } from './rules.js';
export {
  CHECK_LANGUAGES,
  CHECK_POLICIES,
  CheckOptionsSchema,
  CheckPolicySchema,
  CheckReportSchema,
  FindingSchema,
  RunChecksSchema,
  type CheckLanguage,
  type CheckOptions,
  type CheckPolicy,
  type CheckReport,
  type Finding,
  type RuleInfo,
  type Severity,
} from './types.js';
