/**
 * Go build facts read from a file's text, for the Go module (go.ts): the package name and the build
 * constraint under which the file is compiled (its `//go:build` or `// +build` lines, and the GOOS/GOARCH
 * suffixes of its name). The telemetry runtime written into a package directory must be compiled exactly
 * when at least one instrumented file is: its constraint is the OR of theirs (none when any file has none).
 */
import { posix } from 'node:path';

// `go tool dist list` of Go 1.19 and later (wasip1 from 1.21); the names the go tool reads in file suffixes.
const KNOWN_OS = new Set(
  'aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris wasip1 windows zos'.split(
    ' ',
  ),
);
const KNOWN_ARCH = new Set(
  (
    '386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc ' +
    'ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm'
  ).split(' '),
);

export interface GoHeader {
  /** The package clause's name, or null when the file has none (not a Go file the tool would build). */
  packageName: string | null;
  /** The `//go:build` expression (or one made from `// +build` lines), or null. */
  constraint: string | null;
}

/**
 * Reads the comments and blank lines before the package clause (the only place build constraints count),
 * then the clause itself. A tiny tokenizer rather than a regex, so a block comment that happens to hold
 * "package x" is not mistaken for the clause.
 */
export function readGoHeader(source: string): GoHeader {
  let i = 0;
  let goBuild: string | null = null;
  const plusBuild: string[] = [];
  let lineCommentsOnly = true; // constraints count only when preceded by blank lines and line comments
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\ufeff') {
      i++;
    } else if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      const line = source.slice(i, end < 0 ? source.length : end).trimEnd();
      if (lineCommentsOnly) {
        const build = /^\/\/go:build\s+(.+)$/.exec(line);
        if (build?.[1] !== undefined && goBuild === null) goBuild = build[1].trim();
        const plus = /^\/\/\s*\+build\s+(.+)$/.exec(line);
        if (plus?.[1] !== undefined) plusBuild.push(plus[1].trim());
      }
      i = end < 0 ? source.length : end + 1;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
      lineCommentsOnly = false;
    } else {
      break;
    }
  }
  const clause = /^package\s+([\p{L}_][\p{L}\p{Nd}_]*)/u.exec(source.slice(i, i + 200));
  const constraint = goBuild ?? (plusBuild.length > 0 ? plusBuildExpression(plusBuild) : null);
  return { packageName: clause?.[1] ?? null, constraint };
}

/** `// +build a,b c` lines: spaces OR, commas AND, `!` negates, lines AND. */
function plusBuildExpression(lines: readonly string[]): string {
  const line = (text: string): string => {
    const options = text.split(/\s+/).filter(Boolean);
    const anded = options.map((option) => option.split(',').filter(Boolean).join(' && '));
    return anded.length === 1 ? (anded[0] ?? '') : anded.map((term) => `(${term})`).join(' || ');
  };
  const parts = lines.map(line);
  return parts.length === 1 ? (parts[0] ?? '') : parts.map((part) => `(${part})`).join(' && ');
}

/** The constraint a file name implies: `x_linux.go`, `x_arm64.go`, `x_linux_arm64.go` (as the go tool reads them). */
export function fileNameConstraint(relPath: string): string | null {
  let name = posix.basename(relPath).replace(/\.go$/, '');
  if (name.endsWith('_test')) name = name.slice(0, -'_test'.length);
  const parts = name.split('_');
  const n = parts.length;
  const last = parts[n - 1] ?? '';
  const before = parts[n - 2] ?? '';
  if (n >= 3 && KNOWN_OS.has(before) && KNOWN_ARCH.has(last)) return `${before} && ${last}`;
  if (n >= 2 && (KNOWN_OS.has(last) || KNOWN_ARCH.has(last))) return last;
  return null;
}

/** The full constraint of one file (text and name), or null when it is always compiled. */
export function fileConstraint(relPath: string, header: GoHeader): string | null {
  const parts = [header.constraint, fileNameConstraint(relPath)].filter(
    (part): part is string => part !== null,
  );
  if (parts.length === 0) return null;
  return parts.length === 1 ? (parts[0] ?? null) : parts.map((part) => `(${part})`).join(' && ');
}

/** OR of the files' constraints; null (always compile) when one of them is unconstrained. */
export function unionConstraint(constraints: ReadonlyArray<string | null>): string | null {
  if (constraints.length === 0 || constraints.includes(null)) return null;
  const unique = [...new Set(constraints as string[])];
  return unique.length === 1 ? (unique[0] ?? null) : unique.map((part) => `(${part})`).join(' || ');
}

/** Whether a constraint names the `ignore` tag (files run alone with `go run file.go`, not built with the package). */
export function mentionsIgnore(constraint: string | null): boolean {
  return constraint !== null && /(?<![\w.])ignore(?![\w.])/.test(constraint);
}
