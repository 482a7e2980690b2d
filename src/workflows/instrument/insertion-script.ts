/**
 * Step 4, insertion scripts: from a language's InsertionRequest, a small standalone Python program (one
 * template; the edits and their anchors are data in it) whose `insert(text, offsets)` checks every anchor
 * against the function's text and applies the edits from the bottom up. The offsets are passed in rather
 * than written into the script, so one script serves every function with the same signature and snippets
 * (the cache key: sha256 of tool version, language, signature and the edits' deletes, inserts and anchors).
 */
import { createHash } from 'node:crypto';
import type { InsertionRequest } from './language.js';
import type { InstrumentLanguage } from './model.js';

/** Part of every cache key: bump it when the template or a language's snippets change meaning. */
export const TOOL_VERSION = 'instrument-1';

/** The most bytes an anchor may hold. */
export const MAX_ANCHOR = 16;

export interface InsertionScript {
  key: string;
  source: string;
  /** Where the edits go in the function's text, in the order of the script's EDITS. */
  offsets: number[];
}

/** The cache key of a request: what the script's text depends on, and nothing else. */
export function insertionKey(language: InstrumentLanguage, request: InsertionRequest): string {
  const edits = request.edits.map((edit) => [edit.delete, edit.insert, edit.expect]);
  const material = JSON.stringify([TOOL_VERSION, language, request.signature, edits]);
  return createHash('sha256').update(material).digest('hex');
}

/** A Python string literal (JSON's escapes are Python's; lone surrogates are refused earlier). */
const pyString = (text: string): string => JSON.stringify(text);

/** Checks a request before a script is made from it; returns what is wrong, or null. */
export function requestProblem(request: InsertionRequest, functionBytes: number): string | null {
  if (request.edits.length === 0) return 'no edits';
  for (const [i, edit] of request.edits.entries()) {
    if (!Number.isInteger(edit.at) || edit.at < 0 || edit.at > functionBytes)
      return `edit ${i}: offset ${edit.at} is outside the function (${functionBytes} bytes)`;
    if (!Number.isInteger(edit.delete) || edit.delete < 0 || edit.at + edit.delete > functionBytes)
      return `edit ${i}: deletes past the end of the function`;
    if (Buffer.byteLength(edit.expect, 'utf8') > MAX_ANCHOR)
      return `edit ${i}: anchor longer than ${MAX_ANCHOR} bytes`;
    if (/[\ud800-\udfff]/u.test(edit.insert + edit.expect)) return `edit ${i}: lone surrogate in the text`;
  }
  return null;
}

/** The line that separates a script's data (above) from its code (below, the same in every script). */
export const CODE_MARKER = '# --- insertion logic: the same in every script ---';

const TEMPLATE_CODE = `${CODE_MARKER}
import json
import sys


def insert(text, offsets):
    data = text.encode("utf-8")
    if len(offsets) != len(EDITS):
        raise ValueError("expected %d offsets, got %d" % (len(EDITS), len(offsets)))
    order = sorted(range(len(EDITS)), key=lambda i: (offsets[i], i), reverse=True)
    for i in order:
        at = offsets[i]
        delete, _, expect = EDITS[i]
        anchor = expect.encode("utf-8")
        if at < 0 or at + delete > len(data) or data[at:at + len(anchor)] != anchor:
            found = data[at:at + max(len(anchor), 1)].decode("utf-8", "replace")
            raise ValueError("anchor mismatch at edit %d (byte %d): expected %r, found %r" % (i, at, expect, found))
    limit = len(data)
    for i in order:
        at = offsets[i]
        delete, text_in, _ = EDITS[i]
        if at + delete > limit:
            raise ValueError("edit %d overlaps the edit below it" % i)
        data = data[:at] + text_in.encode("utf-8") + data[at + delete:]
        limit = at
    return data.decode("utf-8")


if __name__ == "__main__":
    request = json.load(sys.stdin)
    sys.stdout.write(insert(request["text"], request["offsets"]))
`;

export function insertionScript(language: InstrumentLanguage, request: InsertionRequest): InsertionScript {
  const key = insertionKey(language, request);
  const edits = request.edits
    .map((edit) => `    (${edit.delete}, ${pyString(edit.insert)}, ${pyString(edit.expect)}),\n`)
    .join('');
  const data = `# scriptbox instrument: insertion script for one ${language} function (${TOOL_VERSION}).
# Signature: ${pyString(request.signature.split('\n')[0] ?? '')
    .slice(1, -1)
    .slice(0, 120)}
# Each edit deletes DELETE bytes at its offset and inserts INSERT there; the bytes at the offset must
# begin with EXPECT (the anchor) or the script refuses the function. Edits apply from the bottom up.
KEY = ${pyString(key)}
EDITS = [
${edits}]
`;
  const source = data + TEMPLATE_CODE;
  return { key, source, offsets: request.edits.map((edit) => edit.at) };
}
