import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 1 } });
});
afterAll(async () => {
  await engine.close();
});

/** Bytes that break naive framing: newlines, the frame separator, NULs, high bytes, a trailing newline. */
const AWKWARD = Buffer.from([0x31, 0x0a, 0x20, 0x30, 0x0a, 0x00, 0xff, 0xfe, 0x67, 0x6f, 0x20, 0x0a]);
const NAMES = ['item.json', 'with space.txt', 'ünï.csv'];

describe('input files that travel with the job (warm sandboxes)', () => {
  it.each([
    [
      'python',
      'import hashlib, os\nfor n in sorted(os.listdir(".")):\n    if n != "main.py" and n != "out":\n        print(n, hashlib.sha256(open(n, "rb").read()).hexdigest(), oct(os.stat(n).st_mode & 0o777))',
    ],
    [
      'javascript',
      'const fs = require("node:fs"); const c = require("node:crypto");\nfor (const n of fs.readdirSync(".").sort()) if (n !== "main.cjs" && n !== "out") console.log(n, c.createHash("sha256").update(fs.readFileSync(n)).digest("hex"), "0o" + (fs.statSync(n).mode & 0o777).toString(8));',
    ],
    [
      'bash',
      'for n in *; do [ "$n" = main.sh ] || [ "$n" = out ] || echo "$n $(sha256sum < "$n" | cut -d" " -f1) 0o$(stat -c %a "$n")"; done | LC_ALL=C sort',
    ],
  ])('%s sees every file byte for byte, read-only, and its script intact', async (language, source) => {
    await engine.warm(language);
    const files = NAMES.map((name, i) => ({ name, content: i === 1 ? AWKWARD : `{"n": ${i}}\n` }));
    const result = await engine.run({ language, source, files });
    expect(result.error).toBeNull();
    const { createHash } = await import('node:crypto');
    const expected = files
      .map((f) => `${f.name} ${createHash('sha256').update(f.content).digest('hex')} 0o444`)
      .sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
    expect(
      result.stdout
        .trim()
        .split('\n')
        .sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)),
    ).toEqual(expected);
  });

  it('a batch item is served by a warm sandbox (its item.json travels with the job)', async () => {
    const purposes: string[] = [];
    const onCreate = (event: { purpose: string; runtime: string }): void => {
      if (event.runtime === 'python') purposes.push(event.purpose);
    };
    await engine.warm('python');
    engine.events.on('sandbox:create', onCreate);
    const batch = await engine.runBatch({
      script: { language: 'python', source: 'import json\nprint(json.load(open("item.json"))["n"] * 2)' },
      items: [{ n: 21 }],
    });
    await engine.warm('python'); // the refill behind the run has finished
    engine.events.off('sandbox:create', onCreate);
    expect(batch.results[0]?.result.stdout).toBe('42\n');
    // The run took the waiting sandbox; the only start is the pool refilling behind it.
    expect(purposes).toEqual(['pool']);
  });
});
