/**
 * The house rules of src/: no import cycles between files, and no import from a lower layer into a higher
 * one (the order is src/layers.ts). Every import counts: static, `export ... from`, type-only, `import()`
 * and `import('...')` types with a string literal. The checker is tested on small graphs too, so a broken
 * checker cannot pass by finding nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LAYERS, type Layer } from '../../src/layers.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

interface Import {
  /** Importing file, relative to src/ (`engine/engine.ts`). */
  from: string;
  /** Imported file, relative to src/. */
  to: string;
  /** 1-based line of the import in `from`. */
  line: number;
}

/** Module specifiers of every import in `source`, with their lines. */
function importSpecifiers(fileName: string, source: string): Array<{ specifier: string; line: number }> {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: Array<{ specifier: string; line: number }> = [];
  const add = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({
        specifier: node.text,
        line: file.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every import in src/ of another file of src/. */
function srcImports(): { files: string[]; imports: Import[] } {
  const paths = sourceFiles(SRC);
  const files = paths.map((path) => relative(SRC, path));
  const imports = paths.flatMap((path) =>
    importSpecifiers(path, readFileSync(path, 'utf8'))
      .filter(({ specifier }) => specifier.startsWith('.'))
      .map(({ specifier, line }) => ({
        from: relative(SRC, path),
        to: relative(SRC, resolve(dirname(path), specifier)).replace(/\.(c|m)?js$/, (ext) =>
          ext.replace('js', 'ts'),
        ),
        line,
      })),
  );
  return { files, imports };
}

interface Place {
  layer: number;
  unit: string;
}

/** The layer and unit of `file` (relative to src/): its longest matching path in `layers`. */
function placeOf(file: string, layers: readonly Layer[]): Place | null {
  let best: Place | null = null;
  let bestLength = 0;
  for (const [layer, { units }] of layers.entries()) {
    for (const [unit, paths] of Object.entries(units)) {
      for (const path of paths) {
        const matches = path.endsWith('/') ? file.startsWith(path) : file === path;
        if (matches && path.length > bestLength) [best, bestLength] = [{ layer, unit }, path.length];
      }
    }
  }
  return best;
}

const order = (layers: readonly Layer[]): string =>
  layers.map((layer) => Object.keys(layer.units).join(' | ')).join(' < ');

/** Each import that goes up a layer or across peers, and each file no layer holds, as a sentence. */
function layerViolations(files: string[], imports: Import[], layers: readonly Layer[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (placeOf(file, layers) === null) {
      problems.push(`src/${file} is in no layer: add it (or its folder) to LAYERS in src/layers.ts`);
    }
  }
  for (const { from, to, line } of imports) {
    const a = placeOf(from, layers);
    const b = placeOf(to, layers);
    if (a === null || b === null || a.unit === b.unit) continue;
    const what = `src/${from}:${line} imports src/${to}`;
    const [lower, upper] = [layers[a.layer], layers[b.layer]];
    if (b.layer > a.layer) {
      problems.push(
        `${what}: ${a.unit} (layer ${lower?.name}) may not import from ${b.unit} (layer ${upper?.name}), a ` +
          `layer above it; imports point down only (${order(layers)}, src/layers.ts). Move what both need ` +
          `down to ${a.unit} or below, or pass it in from above`,
      );
    } else if (b.layer === a.layer && lower?.peers) {
      problems.push(
        `${what}: ${a.unit} and ${b.unit} are peers in layer ${lower.name} and may not import each other ` +
          `(src/layers.ts: ${lower.why}). Move what both need down a layer`,
      );
    }
  }
  return problems;
}

/** One cycle per group of files that import each other, as `a -> b -> a` (empty: no cycles). */
function importCycles(imports: Array<Pick<Import, 'from' | 'to'>>): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of imports) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    const selfImport = (next.get(node) ?? []).includes(node);
    if (group.length > 1 || selfImport) groups.push(group);
  };
  for (const node of next.keys()) if (!index.has(node)) connect(node);
  return groups.map((group) => cycleThrough(group, next));
}

/** A shortest cycle from the group's first file back to itself, staying inside the group. */
function cycleThrough(group: string[], next: Map<string, string[]>): string[] {
  const members = new Set(group);
  const start = [...group].sort()[0] ?? '';
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() ?? '';
    for (const target of next.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0] ?? '') ?? start);
        return [...path, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [...group, start];
}

describe('the layers of src/ (src/layers.ts)', () => {
  const { files, imports } = srcImports();

  it('finds the imports it checks', () => {
    // A parser that found nothing would pass every rule below.
    expect(files.length).toBeGreaterThan(100);
    expect(imports).toContainEqual(
      expect.objectContaining({ from: 'engine/engine.ts', to: 'sandbox/cgroups.ts' }),
    );
  });

  it('has no import cycle between files', () => {
    const cycles = importCycles(imports).map((cycle) => cycle.map((file) => `src/${file}`).join(' -> '));
    expect(cycles, `import cycles (break each one):\n  ${cycles.join('\n  ')}`).toEqual([]);
  });

  it('imports only from its own layer and below', () => {
    const problems = layerViolations(files, imports, LAYERS);
    expect(problems, `layer violations:\n  ${problems.join('\n  ')}`).toEqual([]);
  });

  it('names every unit once', () => {
    const units = LAYERS.flatMap((layer) => Object.keys(layer.units));
    expect(new Set(units).size).toBe(units.length);
  });
});

/** Files (relative to src/) and packages `entry` loads, following every import, type-only ones too. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const path = join(SRC, file);
    for (const { specifier } of importSpecifiers(path, readFileSync(path, 'utf8'))) {
      if (specifier.startsWith('.')) {
        visit(relative(SRC, resolve(dirname(path), specifier)).replace(/\.js$/, '.ts'));
      } else if (!specifier.startsWith('node:')) {
        packages.add(
          specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : (specifier.split('/')[0] ?? ''),
        );
      }
    }
  };
  visit(entry);
  return { files, packages };
}

describe('subpath exports load only their own layers', () => {
  it('scriptbox/analysis loads neither the chat, the library (SQLite) nor the checks (tree-sitter)', () => {
    const { files, packages } = closure('workflows/analysis/index.ts');
    expect(files.has('workflows/analysis/analyze.ts')).toBe(true);
    expect(files.has('engine/engine.ts')).toBe(true);
    const beyond = [...files].filter((file) =>
      /^(workflows\/chat|library|check|tools|access|faces)\//.test(file),
    );
    expect(beyond).toEqual([]);
    expect(packages).not.toContain('better-sqlite3');
    expect(packages).not.toContain('web-tree-sitter');
  });
});

describe('the layer checker', () => {
  const layers: Layer[] = [
    { name: 'low', units: { low: ['low/'] }, peers: false, why: 'the bottom' },
    { name: 'middle', units: { left: ['left/'], right: ['right/'] }, peers: true, why: 'two apart' },
    { name: 'high', units: { high: ['high/', 'top.ts'] }, peers: false, why: 'the top' },
  ];

  it('reads static, type-only, re-export, dynamic and import-type imports', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "let f: typeof import('./f.js');",
      "import './g.js';",
      'const skipped = await import(name);',
      "// import { no } from './comment.js';",
    ].join('\n');
    expect(importSpecifiers('x.ts', source).map(({ specifier }) => specifier)).toEqual([
      './a.js',
      './b.js',
      './c.js',
      './d.js',
      './e.js',
      './f.js',
      './g.js',
    ]);
  });

  it('reports an import from a higher layer, naming both files and the rule', () => {
    const problems = layerViolations(
      ['low/a.ts', 'high/b.ts'],
      [
        { from: 'low/a.ts', to: 'high/b.ts', line: 3 },
        { from: 'high/b.ts', to: 'low/a.ts', line: 1 },
      ],
      layers,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^src\/low\/a\.ts:3 imports src\/high\/b\.ts: low \(layer low\) may not import/,
    );
    expect(problems[0]).toContain('low < left | right < high');
  });

  it('reports peers importing each other, and a file in no layer', () => {
    const problems = layerViolations(
      ['left/a.ts', 'right/b.ts', 'stray.ts', 'top.ts'],
      [
        { from: 'left/a.ts', to: 'right/b.ts', line: 2 },
        { from: 'top.ts', to: 'left/a.ts', line: 1 },
      ],
      layers,
    );
    expect(problems).toEqual([
      'src/stray.ts is in no layer: add it (or its folder) to LAYERS in src/layers.ts',
      expect.stringMatching(
        /^src\/left\/a\.ts:2 imports src\/right\/b\.ts: left and right are peers in layer middle/,
      ),
    ]);
  });

  it('finds each cycle and prints it as a path back to its start', () => {
    const cycles = importCycles([
      { from: 'a.ts', to: 'b.ts' },
      { from: 'b.ts', to: 'c.ts' },
      { from: 'c.ts', to: 'a.ts' },
      { from: 'c.ts', to: 'd.ts' },
      { from: 'd.ts', to: 'e.ts' },
      { from: 'e.ts', to: 'd.ts' },
      { from: 'f.ts', to: 'f.ts' },
      { from: 'g.ts', to: 'a.ts' },
    ]);
    expect(cycles.map((cycle) => cycle.join(' -> ')).sort()).toEqual([
      'a.ts -> b.ts -> c.ts -> a.ts',
      'd.ts -> e.ts -> d.ts',
      'f.ts -> f.ts',
    ]);
    expect(importCycles([{ from: 'a.ts', to: 'b.ts' }])).toEqual([]);
  });
});
