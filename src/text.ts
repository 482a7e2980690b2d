/** Small wording helpers shared by every face that writes to people. */

/** `3 versions`, `1 run`, `2 entries` (with the plural given). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * `20 MB`, `61.5 MB`, `0.002 MB`: bytes in decimal megabytes (1 MB = 1,000,000 bytes, as file managers
 * and `ls --si` count) to three significant digits. Every size a person reads goes through here, so one
 * file is one number on every face (a 61.5 MB file was once reported as 58.7 "MB", in MiB).
 */
export function megabytes(bytes: number): string {
  return `${Number((bytes / 1_000_000).toPrecision(3))} MB`;
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
