/**
 * What the static-check tests of every language share: running the checks, and the case tables each
 * language's rules are held to (sources a rule must flag, at a line; sources it must not; evasions it must
 * still see), with every rule of the language covered by a positive and a negative case.
 */
import { expect, it } from 'vitest';
import { checkSource, RULES, type CheckLanguage, type Finding } from '../../src/check/index.js';

/** [rule, source, a line it must be reported on, the language when not the suite's own] */
export type FlaggedCase = [rule: string, source: string, line: number, language?: CheckLanguage];
/** [rule, source it must not flag] */
export type CleanCase = [rule: string, source: string];

/** The findings of the checks (policy `warn`, so every finding is listed) on `source`. */
export async function findingsIn(
  language: CheckLanguage,
  source: string,
  network = false,
): Promise<Finding[]> {
  return (await checkSource({ language, source, policy: 'warn', network })).findings;
}

/** The lines `rule` was reported on. */
export const lines = (found: Finding[], rule: string): number[] =>
  found.filter((f) => f.rule === rule).map((f) => f.line);

/** Declares (inside a describe) the tests of `language`'s rules against its case tables. */
export function ruleCaseTests(
  language: CheckLanguage,
  cases: { positive: FlaggedCase[]; negative: CleanCase[]; evasions: FlaggedCase[] },
): void {
  const inLanguage = (table: FlaggedCase[]): Array<Required<FlaggedCase>> =>
    table.map(([rule, source, line, lang]) => [rule, source, line, lang ?? language]);

  it.each(inLanguage(cases.positive))('%s flags: %j (line %i, %s)', async (rule, source, line, lang) => {
    expect(lines(await findingsIn(lang, source), rule)).toContain(line);
  });

  it.each(cases.negative)('%s does not flag: %j', async (rule, source) => {
    expect(lines(await findingsIn(language, source), rule)).toEqual([]);
  });

  it.each(inLanguage(cases.evasions))(
    '%s still flags the evasion %j (line %i, %s)',
    async (rule, source, line, lang) => {
      expect(lines(await findingsIn(lang, source), rule)).toContain(line);
    },
  );

  it(`has a positive and a negative case for every ${language} rule`, () => {
    const ids = RULES.filter((r) => r.languages.includes(language)).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !cases.positive.some(([rule]) => rule === id))).toEqual([]);
    expect(ids.filter((id) => !cases.negative.some(([rule]) => rule === id))).toEqual([]);
  });
}
