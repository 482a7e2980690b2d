/**
 * A small .gitignore matcher (the patterns git documents: `#` comments, `!` negation, a trailing `/` for
 * directories only, a leading or inner `/` anchoring to the .gitignore's directory, `*`, `?`, `[...]` and
 * `**`), plus the glob matcher `--exclude` uses. Rules of nested .gitignore files apply below their directory,
 * the last matching rule winning, as in git.
 */

export interface IgnoreRule {
  /** The directory of the .gitignore, relative to the root ('' for the root), with `/` separators. */
  base: string;
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

/** A glob (`*` within a segment, `**` across, `?`, `[...]`) as a regular expression source. */
export function globSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        i += slash ? 2 : 1;
        out += slash ? '(?:.*/)?' : '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let set = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        out += `[${set}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += (glob[i + 1] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i++;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** Parses one .gitignore's text into rules for paths under `base`. */
export function parseGitignore(text: string, base: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    if (line.startsWith('\\#') || line.startsWith('\\!')) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (line === '') continue;
    const body = globSource(line);
    const regex = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}(?:/.*)?$`);
    rules.push({ base, regex, negate, dirOnly });
  }
  return rules;
}

/**
 * Whether `relPath` (relative to the root) is ignored. Rules are tried in order, the last match winning;
 * a rule without dirOnly matches files and directories, one with dirOnly directories (and what is below
 * them, which the walk never reaches once the directory is ignored).
 */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string, isDir: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.base !== '' && !relPath.startsWith(`${rule.base}/`)) continue;
    const local = rule.base === '' ? relPath : relPath.slice(rule.base.length + 1);
    if (rule.dirOnly && !isDir) continue;
    if (rule.regex.test(local)) ignored = !rule.negate;
  }
  return ignored;
}

/** An `--exclude` glob: matches the whole relative path, or any directory prefix of it. */
export function globMatcher(glob: string): (relPath: string) => boolean {
  const trimmed = glob.replace(/^\.\//, '').replace(/\/$/, '');
  const anchored = trimmed.includes('/');
  const regex = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globSource(trimmed)}(?:/.*)?$`);
  return (relPath) => regex.test(relPath);
}
