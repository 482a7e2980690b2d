/**
 * Library names close to one a user typed, for "no script x; did you mean …?": names that contain what
 * was typed (`descriptive` → `stats_descriptive_001.py`), then names within a small edit distance
 * (`stats_descriptive_01.py`, `stats_descriptiv_001.py`), nearest first.
 */

/** Levenshtein distance: single-character insertions, deletions and substitutions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
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
