/** Template suggestions for a free-text request: a plain keyword match over ids, descriptions and tags. */
import type { TemplateInfo } from './registry.js';

const MAX_SUGGESTIONS = 3;
// Words every data template shares: they say nothing about which one is meant.
const STOP_WORDS = new Set(
  (
    'the and for with from that this into over each all any are its use using between' +
    ' csv file files data script python show give make write print printed compute calculate' +
    ' column columns numeric number numbers value values row rows table one json object'
  ).split(' '),
);

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 3 && !STOP_WORDS.has(word));
}

function commonPrefix(a: string, b: string): number {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  return at;
}

/** "correlations" matches "correlation", "classify" matches "classifier", "mean" only "mean". */
function related(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  return commonPrefix(a, b) >= Math.min(shorter, 5) && shorter >= 4;
}

/**
 * Up to three templates whose id, description or tags share words with `text`, best first; those matching
 * less than half as many words as the best are left out.
 */
export function suggestTemplates(templates: TemplateInfo[], text: string): TemplateInfo[] {
  const asked = [...new Set(words(text))];
  const scored = templates.map((template) => {
    const own = new Set(words([template.id, template.description, ...template.tags].join(' ')));
    const score = asked.filter((word) => [...own].some((candidate) => related(word, candidate))).length;
    return { template, score };
  });
  const best = Math.max(0, ...scored.map(({ score }) => score));
  return scored
    .filter(({ score }) => score > 0 && score * 2 >= best)
    .sort((a, b) => b.score - a.score || a.template.id.localeCompare(b.template.id))
    .slice(0, MAX_SUGGESTIONS)
    .map(({ template }) => template);
}
