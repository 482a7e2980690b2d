/**
 * Names of the chart files the chart templates write under out/, made the same way the scripts make them:
 * each part (the analysis, a column name...) reduced to letters, digits, `_` and `-` (runs of anything
 * else become one `_`, outer `_` trimmed, at most 40 characters, `column` when nothing is left), parts
 * joined by `_`, and `_2`, `_3`... added when a name is already taken in the run. Also the cap on how many
 * charts one run draws.
 */

/** At most this many charts per run; the numbers still cover every column. */
export const MAX_CHARTS = 12;

function safePart(part: string): string {
  return (
    part
      .replace(/[^A-Za-z0-9_-]+/gu, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'column'
  );
}

/** `<parts>.png`, unique among `taken` (which it joins). */
export function chartFileName(taken: Set<string>, parts: readonly string[]): string {
  const stem = parts.map(safePart).join('_');
  let name = stem;
  for (let suffix = 2; taken.has(name); suffix += 1) name = `${stem}_${suffix}`;
  taken.add(name);
  return `${name}.png`;
}

/** The note a result carries when more columns were asked for than charts are drawn; null otherwise. */
export function chartCapNote(columns: number): string | null {
  return columns > MAX_CHARTS
    ? `charts drawn for the first ${MAX_CHARTS} of ${columns} columns; name the columns to chart the others`
    : null;
}
