/** Text forms of findings, shared by `scriptbox check` and anything that reports a rejection. */
import { InvalidOptionsError } from '../errors.js';
import { CHECK_LANGUAGES, type CheckLanguage, type Finding } from './types.js';

/** `file:line:col  severity  rule  message` (the severity padded so messages line up). */
export function formatFinding(finding: Finding, file: string): string {
  const { line, column, severity, rule, message } = finding;
  return `${file}:${line}:${column}  ${severity.padEnd(7)}  ${rule}  ${message}`;
}

/** True for a language the checker knows (runtimes configured by users may have other names). */
export function isCheckLanguage(language: string): language is CheckLanguage {
  return (CHECK_LANGUAGES as readonly string[]).includes(language);
}

/** `language` when the checker knows it, else InvalidOptionsError in the same words on every face. */
export function checkLanguage(language: string): CheckLanguage {
  if (isCheckLanguage(language)) return language;
  const issue = `language: ${language} has no static checks (${CHECK_LANGUAGES.join(', ')} do)`;
  throw new InvalidOptionsError(issue, [issue]);
}
