/** Small wording helpers shared by every face that writes to people. */

/** `3 versions`, `1 run`, `2 entries` (with the plural given). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `20 MB`, `31.2 MB`, `0.00191 MB`: bytes in MiB to three significant digits (messages about sizes). */
export function megabytes(bytes: number): string {
  return `${Number((bytes / 1_048_576).toPrecision(3))} MB`;
}

/** `"a", "b"`: names quoted as JSON strings (as the templates quote them), comma-separated. */
export function quoted(names: readonly string[]): string {
  return names.map((name) => JSON.stringify(name)).join(', ');
}

/** Characters as a reader counts them: code points, so an emoji or a CJK character is one. */
export function textWidth(text: string): number {
  return [...text].length;
}

/** `text` cut to at most `width` characters (code points), ending with `…` where it was cut. */
export function ellipsize(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** `text` padded with spaces to `width` characters: on the left when `right` (numbers), else on the right. */
export function padTo(text: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return right ? fill + text : text + fill;
}
