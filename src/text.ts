/** Small wording helpers shared by every face that writes to people. */

/** `3 versions`, `1 run`, `2 entries` (with the plural given). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
