/** What the per-language build tests share: a fixture copied and instrumented, and a tree read whole. */
import { cp, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Engine } from '../../../src/index.js';
import type { InstrumentLanguage } from '../../../src/workflows/instrument/model.js';
import { instrumentTree } from '../../../src/workflows/instrument/index.js';

export interface InstrumentedCopy {
  src: string;
  out: string;
  report: Awaited<ReturnType<typeof instrumentTree>>;
}

/** Copies `fixtures/<fixture>` to `<tmp>/<fixture>-src` and instruments it into `<tmp>/<fixture>-out`. */
export async function instrumentCopy(
  engine: Engine,
  opts: { fixtures: string; fixture: string; tmp: string; language: InstrumentLanguage },
): Promise<InstrumentedCopy> {
  const src = join(opts.tmp, `${opts.fixture}-src`);
  const out = join(opts.tmp, `${opts.fixture}-out`);
  await cp(join(opts.fixtures, opts.fixture), src, { recursive: true });
  const report = await instrumentTree(engine, { root: src, out, languages: [opts.language] });
  return { src, out, report };
}

/** Every file under `root` by its relative path. */
export async function fileTree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(root, path), await readFile(path));
    }
  return files;
}
