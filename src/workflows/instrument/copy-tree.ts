/**
 * The copy behind `--out`: the tree without its top-level `.git` (and without the output directory when it
 * lies inside the tree), files copied with their modes, symbolic links copied verbatim (not followed, not
 * rewritten), directories given their source's mode. Walks with one readdir per directory and copies files
 * in parallel (fs.cp checks and stats every entry one after another: several times slower on a small tree).
 * Anything else (a FIFO, a socket, a device) is refused, as fs.cp refuses it.
 */
import { chmod, copyFile, mkdir, readdir, readlink, stat, symlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { UsageError } from '../../errors.js';

const within = (parent: string, child: string): boolean => child === parent || child.startsWith(parent + sep);

/** Copies `root` into `out`, which does not exist yet or is empty. */
export async function copyTree(root: string, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const created = (await stat(out).catch(() => null)) === null;
  if (created) await mkdir(out);
  await copyChildren(root, out, root, out);
  if (created) await chmod(out, (await stat(root)).mode);
}

async function copyChildren(from: string, to: string, root: string, out: string): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = join(from, entry.name);
      const target = join(to, entry.name);
      if (from === root && entry.name === '.git') return;
      if (within(out, source)) return;
      if (entry.isSymbolicLink()) return symlink(await readlink(source), target);
      if (entry.isFile()) return copyFile(source, target);
      if (entry.isDirectory()) {
        const { mode } = await stat(source);
        await mkdir(target);
        await copyChildren(source, target, root, out);
        return chmod(target, mode); // after its contents: a read-only directory stays read-only
      }
      throw new UsageError(
        `cannot copy ${source.slice(root.length + 1)}: not a file, directory or symbolic link`,
      );
    }),
  );
}
