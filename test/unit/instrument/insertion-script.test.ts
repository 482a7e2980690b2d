/** Step 4: the insertion script template — anchors checked, edits applied bottom-up, the cache key. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CODE_MARKER,
  insertionKey,
  insertionScript,
  requestProblem,
} from '../../../src/workflows/instrument/insertion-script.js';
import type { InsertionRequest } from '../../../src/workflows/instrument/language.js';
import { checkScripts } from '../../../src/workflows/instrument/sandbox-batch.js';

/** Runs a script as the standalone program it is (host python3), returning stdout or the error text. */
function runScript(source: string, text: string, offsets: number[]): { ok: boolean; out: string } {
  try {
    const out = execFileSync('python3', ['-c', source], {
      input: JSON.stringify({ text, offsets }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { ok: true, out: out.toString('utf8') };
  } catch (error) {
    return { ok: false, out: String((error as { stderr?: Buffer }).stderr ?? error) };
  }
}

const fn = 'function f(a) {\n  return a;\n}';
const request: InsertionRequest = {
  signature: 'function f(a)',
  edits: [
    { at: 15, delete: 0, insert: ' ENTER;', expect: '\n' },
    { at: 28, delete: 0, insert: 'EXIT; ', expect: '}' },
  ],
};

describe('insertion scripts', () => {
  it('apply their edits from the bottom up (each offset into the original text)', () => {
    const script = insertionScript('javascript', request);
    expect(script.offsets).toEqual([15, 28]);
    const { ok, out } = runScript(script.source, fn, script.offsets);
    expect(ok).toBe(true);
    expect(out).toBe('function f(a) { ENTER;\n  return a;\nEXIT; }');
  });

  it('keep list order for edits at one offset, and count offsets in UTF-8 bytes', () => {
    const text = 'é(x)';
    const script = insertionScript('python', {
      signature: 'é',
      edits: [
        { at: 2, delete: 0, insert: 'A', expect: '(' },
        { at: 2, delete: 0, insert: 'B', expect: '(' },
        { at: 3, delete: 1, insert: 'y', expect: 'x' },
      ],
    });
    expect(runScript(script.source, text, script.offsets)).toEqual({ ok: true, out: 'éAB(y)' });
  });

  it('refuse a function whose bytes at an offset are not the anchor', () => {
    const script = insertionScript('javascript', request);
    const { ok, out } = runScript(script.source, `${fn.slice(0, 15)}X${fn.slice(16)}`, script.offsets);
    expect(ok).toBe(false);
    expect(out).toMatch(/anchor mismatch at edit 0 \(byte 15\): expected '\\n', found 'X'/);
    expect(runScript(script.source, fn, [15]).out).toMatch(/expected 2 offsets, got 1/);
  });

  it('refuse overlapping edits', () => {
    const script = insertionScript('javascript', {
      signature: 's',
      edits: [
        { at: 0, delete: 5, insert: 'x', expect: 'funct' },
        { at: 2, delete: 0, insert: 'y', expect: 'n' },
      ],
    });
    expect(runScript(script.source, fn, script.offsets).out).toMatch(/edit 0 overlaps the edit below it/);
  });

  it('are keyed by tool version, language, signature and edit texts, not by offsets', () => {
    const moved = { ...request, edits: request.edits.map((edit) => ({ ...edit, at: edit.at + 3 })) };
    expect(insertionKey('javascript', moved)).toBe(insertionKey('javascript', request));
    expect(insertionScript('javascript', moved).source).toBe(insertionScript('javascript', request).source);
    expect(insertionKey('typescript', request)).not.toBe(insertionKey('javascript', request));
    const other = { ...request, edits: [{ ...request.edits[0]!, insert: ' OTHER;' }, request.edits[1]!] };
    expect(insertionKey('javascript', other)).not.toBe(insertionKey('javascript', request));
    expect(insertionKey('javascript', { ...request, signature: 'function g(a)' })).not.toBe(
      insertionKey('javascript', request),
    );
  });

  it('hold their data above the shared code, which the static checks pass', async () => {
    const script = insertionScript('python', request);
    const [data, code] = script.source.split(`${CODE_MARKER}\n`);
    expect(data).toContain('EDITS = [');
    expect(code).not.toContain('ENTER');
    expect(await checkScripts([{ key: script.key, source: script.source }])).toEqual(new Map());
  });

  it('checks name the script a finding is in', async () => {
    const good = insertionScript('python', request);
    const bad = {
      key: 'bad',
      source: good.source.replace('EDITS = [', "import subprocess\nsubprocess.run(['ls'])\nEDITS = ["),
    };
    const refused = await checkScripts([good, bad, { ...good, key: 'good2' }]);
    expect([...refused.keys()]).toEqual(['bad']);
    expect(refused.get('bad')).toMatch(/^py\//);
  });

  it('are not made from requests outside the function or with long anchors', () => {
    expect(requestProblem(request, fn.length)).toBeNull();
    expect(requestProblem(request, 20)).toMatch(/outside the function/);
    expect(
      requestProblem({ ...request, edits: [{ at: 0, delete: 0, insert: 'x', expect: 'x'.repeat(17) }] }, 40),
    ).toMatch(/anchor longer than 16/);
    expect(requestProblem({ ...request, edits: [] }, 40)).toBe('no edits');
  });
});
