/** The manifest: --remove gives back byte-identical files and refuses a file changed since. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  emptyManifest,
  MANIFEST_NAME,
  removeRanges,
  sha256,
  writeManifest,
} from '../../../src/workflows/instrument/manifest.js';
import { applyEdits } from '../../../src/workflows/instrument/rebuild.js';
import { removeInstrumentation } from '../../../src/workflows/instrument/remove.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'scriptbox-manifest-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const original = Buffer.from('def f():\r\n    return "é"\r\n\r\ndef g():\r\n    pass\r\n');
const edits = [
  { at: 0, delete: 0, insert: 'import rt  # marker\r\n' },
  { at: 0, delete: 0, insert: '@rt.trace("f")\r\n' },
  { at: 29, delete: 3, insert: 'def' },
  { at: 36, delete: 0, insert: ' # x' },
];

async function instrumented(): Promise<void> {
  const rebuilt = applyEdits(original, edits);
  writeFileSync(join(root, 'm.py'), rebuilt.text);
  writeFileSync(join(root, 'rt.py'), 'RUNTIME\n');
  const manifest = emptyManifest();
  manifest.files['m.py'] = {
    language: 'python',
    originalSha256: sha256(original),
    instrumentedSha256: sha256(rebuilt.text),
    ranges: rebuilt.ranges,
  };
  manifest.runtimeFiles['rt.py'] = { sha256: sha256('RUNTIME\n') };
  await writeManifest(root, manifest);
}

describe('manifest removal', () => {
  it('deletes exactly the inserted ranges: byte-identical originals, runtime files and manifest gone', async () => {
    await instrumented();
    const outcome = await removeInstrumentation(root);
    expect(outcome).toMatchObject({
      restored: ['m.py'],
      refused: [],
      runtimeRemoved: ['rt.py'],
      manifestRemoved: true,
    });
    expect(readFileSync(join(root, 'm.py')).equals(original)).toBe(true);
    expect(existsSync(join(root, 'rt.py'))).toBe(false);
    expect(existsSync(join(root, MANIFEST_NAME))).toBe(false);
  });

  it('refuses a file changed since instrumentation, leaving it and the manifest entry in place', async () => {
    await instrumented();
    const tampered = readFileSync(join(root, 'm.py'), 'utf8').replace('return', 'yield');
    writeFileSync(join(root, 'm.py'), tampered);
    const outcome = await removeInstrumentation(root);
    expect(outcome.refused).toEqual([
      {
        path: 'm.py',
        reason: 'changed since instrumentation: removing the inserted ranges does not give the original',
      },
    ]);
    expect(outcome.manifestRemoved).toBe(false);
    expect(readFileSync(join(root, 'm.py'), 'utf8')).toBe(tampered);
    const kept = JSON.parse(readFileSync(join(root, MANIFEST_NAME), 'utf8')) as {
      files: Record<string, unknown>;
    };
    expect(Object.keys(kept.files)).toEqual(['m.py']);
  });

  it('leaves a file already back to its original alone, and refuses a tree without a manifest', async () => {
    await instrumented();
    writeFileSync(join(root, 'm.py'), original);
    expect((await removeInstrumentation(root)).unchanged).toEqual(['m.py']);
    await expect(removeInstrumentation(root)).rejects.toThrow(/no \.scriptbox-instrument\.json/);
  });

  it('removeRanges is the inverse of applyEdits', () => {
    const rebuilt = applyEdits(original, edits);
    expect(removeRanges(Buffer.from(rebuilt.text), rebuilt.ranges).equals(original)).toBe(true);
  });
});
