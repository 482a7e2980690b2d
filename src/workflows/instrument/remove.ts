/**
 * removeInstrumentation(root): gives an instrumented tree back its original bytes from its manifest (see
 * manifest.ts). A file changed since instrumentation is refused and left as it is; the manifest stays
 * (with what is left) until every file is restored.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { MANIFEST_NAME, readManifest, removeWithManifest, type RemoveOutcome } from './manifest.js';

export type { RemoveOutcome } from './manifest.js';

export async function removeInstrumentation(root: string): Promise<RemoveOutcome> {
  const dir = resolve(root);
  const manifest = await readManifest(dir);
  if (manifest === null)
    throw new UsageError(`${root} has no ${MANIFEST_NAME}: it was not instrumented by scriptbox`);
  return removeWithManifest(dir, manifest);
}
