/**
 * Names close to one a user typed, for "did you mean …?": names that contain what was typed
 * (`descriptive` → `stats_descriptive_001.py`), then names within a small edit distance
 * (`stats_descriptive_01.py`, `stats_descriptiv_001.py`, `scirpt` → `script`), nearest first.
 */

/**
 * Edit distance with single-character insertions, deletions, substitutions, and swaps of two adjacent
 * characters (optimal string alignment): `scirpt` is one slip from `script`, as people type it.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, (before[j - 2] ?? 0) + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export function closeNames(typed: string, names: readonly string[], max = 3): string[] {
  const wanted = typed.toLowerCase();
  if (wanted === '') return [];
  const limit = Math.max(2, Math.floor(wanted.length / 4));
  return names
    .map((name) => {
      const lower = name.toLowerCase();
      return { name, contains: lower.includes(wanted), distance: editDistance(wanted, lower) };
    })
    .filter((entry) => entry.contains || entry.distance <= limit)
    .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance)
    .slice(0, max)
    .map((entry) => entry.name);
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1) ?? ''}`;
}

/**
 * ` Did you mean scatter?` (a leading space, to append to a sentence) for the names close to `typed`, each
 * shown by `show`; '' when none is.
 */
export function didYouMean(
  typed: string,
  names: readonly string[],
  show: (name: string) => string = (name) => name,
): string {
  const close = closeNames(typed, names);
  return close.length > 0 ? ` Did you mean ${orList(close.map(show))}?` : '';
}
