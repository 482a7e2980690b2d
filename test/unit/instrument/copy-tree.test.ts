/**
 * copyTree (the `--out` copy): the same tree fs.cp made before it — top-level .git left out, the output
 * directory left out when it lies inside the tree, modes kept, symbolic links verbatim (dangling ones too)
 * — and a clear refusal of what is neither file, directory nor link.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { copyTree } from '../../../src/workflows/instrument/copy-tree.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-copy-tree-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every entry under `root`: its type, mode, and content or link target. */
function listing(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of readdirSync(root, { recursive: true }) as string[]) {
    const path = join(root, name);
    const stat = lstatSync(path);
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) found[name] = `link ${readlinkSync(path)}`;
    else if (stat.isDirectory()) found[name] = `dir ${mode}`;
    else found[name] = `file ${mode} ${readFileSync(path, 'utf8')}`;
  }
  return found;
}

function makeTree(): string {
  const root = join(dir, 'src');
  mkdirSync(join(root, '.git/objects'), { recursive: true });
  writeFileSync(join(root, '.git/HEAD'), 'ref: refs/heads/main\n');
  mkdirSync(join(root, 'pkg/deep/.git'), { recursive: true }); // only the top-level .git is left out
  writeFileSync(join(root, 'pkg/deep/.git/x'), 'nested\n');
  writeFileSync(join(root, 'pkg/mod.py'), 'def f():\n    return 1\n');
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'run.sh'), 0o755);
  writeFileSync(join(root, 'private.txt'), 'secret\n');
  chmodSync(join(root, 'private.txt'), 0o600);
  chmodSync(join(root, 'pkg/deep'), 0o750);
  symlinkSync('pkg/mod.py', join(root, 'alias.py'));
  symlinkSync('/etc/hostname', join(root, 'absolute'));
  symlinkSync('missing/target', join(root, 'dangling'));
  symlinkSync('pkg', join(root, 'pkg-link'));
  return root;
}

/** What fs.cp made with the filter copyTree replaced. */
async function viaFsCp(root: string, out: string): Promise<void> {
  await cp(root, out, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => {
      const rel = relative(root, source);
      if (rel === '') return true;
      if (rel.split(sep)[0] === '.git') return false;
      return !(source === out || source.startsWith(out + sep));
    },
  });
}

describe('copyTree', () => {
  test('makes the same copy as fs.cp: no top-level .git, modes kept, links verbatim', async () => {
    const root = makeTree();
    await viaFsCp(root, join(dir, 'expected'));
    await copyTree(root, join(dir, 'out'));
    const copied = listing(join(dir, 'out'));
    expect(copied).toEqual(listing(join(dir, 'expected')));
    expect(copied).toMatchObject({
      'run.sh': 'file 755 #!/bin/sh\necho hi\n',
      'private.txt': 'file 600 secret\n',
      'pkg/deep': 'dir 750',
      'pkg/deep/.git/x': expect.stringContaining('nested') as unknown,
      'alias.py': 'link pkg/mod.py',
      absolute: 'link /etc/hostname',
      dangling: 'link missing/target',
      'pkg-link': 'link pkg',
    });
    expect(Object.keys(copied).filter((name) => name.startsWith('.git'))).toEqual([]);
  });

  test('into an existing empty directory, and leaving out an output directory inside the tree', async () => {
    const root = makeTree();
    const out = join(root, 'instrumented');
    mkdirSync(out);
    await copyTree(root, out);
    const copied = listing(out);
    expect(copied['pkg/mod.py']).toBe(listing(root)['pkg/mod.py']);
    expect(Object.keys(copied).some((name) => name.startsWith('instrumented'))).toBe(false);
  });

  test('refuses a FIFO with its path', async () => {
    const root = makeTree();
    execFileSync('mkfifo', [join(root, 'pkg/pipe')]);
    await expect(copyTree(root, join(dir, 'out'))).rejects.toThrow(UsageError);
    await expect(copyTree(root, join(dir, 'out2'))).rejects.toThrow(/pkg\/pipe: not a file, directory/);
  });
});
