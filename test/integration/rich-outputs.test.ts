/**
 * Rich results of one-shot runs in the real sandbox: matplotlib figures (shown, or left open) arrive as
 * image/png display items, display(obj) gives Jupyter mime bundles, an uncaught Python or JavaScript error
 * arrives as name, value and a traceback without the runner's frames, and a script that attacks the
 * display channel (.scriptbox-run/outputs.jsonl) gets nothing from the host but a note.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(base64: string | undefined): { width: number; height: number } {
  const bytes = Buffer.from(base64 ?? '', 'base64');
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const pngs = (result: RunResult): Array<string | undefined> =>
  result.outputs.filter((item) => item.data['image/png'] !== undefined).map((item) => item.data['image/png']);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 }, limits: { timeoutMs: 20_000 } });
});
afterAll(async () => {
  await engine.close();
});

const python = (source: string): Promise<RunResult> => engine.run({ language: 'python', source });

describe('matplotlib figures', () => {
  it('plt.show() and a figure left open each arrive once as a PNG of their own size, in order', async () => {
    const result = await python(
      [
        'import matplotlib.pyplot as plt',
        'print("backend", plt.get_backend())',
        'plt.figure(figsize=(4, 3), dpi=50); plt.plot([1, 2, 3], [4, 1, 5]); plt.show()',
        'plt.figure(figsize=(2, 6), dpi=50); plt.bar([1, 2], [3, 4])  # never shown',
        'print("done")',
      ].join('\n'),
    );
    expect(result.error).toBeNull();
    expect(result.stdout).toBe('backend module://scriptbox_display\ndone\n');
    expect(result.outputs.map((item) => item.type)).toEqual(['display', 'display']);
    const [shown, open] = pngs(result).map(pngSize);
    // 4x3 and 2x6 inches at 50 dpi, cropped to their content as Jupyter's inline backend does.
    expect(shown?.width).toBeGreaterThan(120);
    expect(shown?.width).toBeLessThanOrEqual(200);
    expect(shown?.height).toBeLessThanOrEqual(150);
    expect(open?.height).toBeGreaterThan(200);
    expect(open?.height).toBeLessThanOrEqual(300);
    expect(open?.width).toBeLessThan(open?.height ?? 0);
    expect(result.outputs[0]?.data['text/plain']).toBe('<Figure size 200x150 with 1 Axes>');
    // The channel's directory is not an out/ file.
    expect(result.files).toEqual([]);
  });

  it('figure.show() emits that figure, and figures open when the script fails are still returned', async () => {
    const result = await python(
      [
        'import matplotlib.pyplot as plt',
        'fig, ax = plt.subplots(); ax.plot([1, 2]); fig.show()',
        'plt.figure(); plt.plot([3, 1])',
        'raise RuntimeError("after plotting")',
      ].join('\n'),
    );
    expect(result.error).toMatchObject({ kind: 'runtime', name: 'RuntimeError', value: 'after plotting' });
    expect(pngs(result)).toHaveLength(2);
  });

  it('a Python process the script starts keeps the Agg backend (it has no runner to find ours)', async () => {
    const result = await python(
      [
        'import subprocess, sys',
        "child = \"import matplotlib.pyplot as p, os; p.plot([1]); p.savefig('/tmp/x.png'); print(os.environ['MPLBACKEND'], p.get_backend())\"",
        'print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout)',
        'import os; print("channel made:", os.path.lexists(".scriptbox-run"))  # only with a first item',
      ].join('\n'),
    );
    expect(result.error).toBeNull();
    expect(result.stdout).toBe('Agg agg\n\nchannel made: False\n');
    expect(result.outputs).toEqual([]);
  });

  it('a backend the script chooses itself is kept; figures open at the end still arrive', async () => {
    const result = await python(
      [
        'import os',
        'os.environ["MPLBACKEND"] = "svg"',
        'import matplotlib.pyplot as plt',
        'print(plt.get_backend())',
        'plt.plot([1, 2])',
      ].join('\n'),
    );
    expect(result.stdout).toBe('svg\n');
    expect(pngs(result)).toHaveLength(1);
  });
});

describe('display()', () => {
  it('gives mime bundles the way IPython reads _repr_*_ methods, and text/plain always', async () => {
    const result = await python(
      [
        'import pandas as pd',
        'class Rich:',
        '    def _repr_html_(self): raise ValueError("broken")',
        '    def _repr_svg_(self): return "<svg/>"',
        '    def _repr_png_(self): return b"\\x89PNG fake"',
        '    def _repr_json_(self): return {"a": [1, 2]}',
        '    def __repr__(self): return "Rich()"',
        'class Nothing:',
        '    def _repr_html_(self): return None',
        'display(pd.DataFrame({"city": ["Oslo", "Lima"], "n": [1, 2]}))',
        'display(Rich(), Rich)',
        'display(Nothing())',
      ].join('\n'),
    );
    expect(result.error).toBeNull();
    const [table, rich, richClass, nothing] = result.outputs.map((item) => item.data);
    expect(table?.['text/html']).toContain('<table');
    expect(table?.['text/html']).toContain('Oslo');
    expect(table?.['text/plain']).toMatch(/city\s+n\n0\s+Oslo\s+1/);
    expect(rich).toEqual({
      'text/plain': 'Rich()',
      'image/svg+xml': '<svg/>',
      'image/png': Buffer.from('\x89PNG fake', 'latin1').toString('base64'),
      'application/json': { a: [1, 2] },
    });
    // A class has the methods unbound: only its repr, as IPython does.
    expect(Object.keys(richClass ?? {})).toEqual(['text/plain']);
    expect(richClass?.['text/plain']).toBe("<class '__main__.Rich'>");
    expect(Object.keys(nothing ?? {})).toEqual(['text/plain']);
  });
});

describe('structured errors', () => {
  it('a Python exception: name, value, and a traceback of the script alone', async () => {
    const result = await python(
      ['def ratio(a, b):', '    return a / b', '', 'print(ratio(1, 0))'].join('\n'),
    );
    expect(result.error).toMatchObject({
      kind: 'runtime',
      name: 'ZeroDivisionError',
      value: 'division by zero',
      message: 'ZeroDivisionError: division by zero (the script exited with code 1)',
    });
    const traceback = result.error?.traceback ?? '';
    expect(traceback).toMatch(
      /^Traceback \(most recent call last\):\n {2}File "main\.py", line 4, in <module>\n/,
    );
    expect(traceback).toContain('File "main.py", line 2, in ratio');
    expect(traceback).toMatch(/ZeroDivisionError: division by zero\n$/);
    expect(traceback).not.toMatch(/python\.py|scriptbox_python|\/\.scriptbox/);
    // stderr keeps Python's own report.
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
  });

  it('frames of a module the script imports follow the script’s own', async () => {
    const result = await engine.run({
      language: 'python',
      source: 'import helper\nhelper.fail()\n',
      files: [{ name: 'helper.py', content: 'def fail():\n    raise KeyError("missing")\n' }],
    });
    expect(result.error).toMatchObject({ name: 'KeyError', value: "'missing'" });
    const files = [...(result.error?.traceback ?? '').matchAll(/File "([^"]+)"/g)].map((m) => m[1]);
    expect(files).toEqual(['main.py', '/work/helper.py']);
  });

  it('an error item a successful script forges is not taken as its error', async () => {
    const result = await python(
      [
        'import json, os',
        'os.mkdir(".scriptbox-run")',
        'with open(".scriptbox-run/outputs.jsonl", "a") as f:',
        '    f.write(json.dumps({"type": "error", "name": "Forged", "value": "x", "traceback": "x"}) + "\\n")',
      ].join('\n'),
    );
    expect(result.ok).toBe(true);
    expect(result.error).toBeNull();
  });

  it('a JavaScript throw: name, value, and a stack without the runner’s frames', async () => {
    const result = await engine.run({
      language: 'javascript',
      source: 'function parse(text) {\n  throw new TypeError(`cannot parse ${text}`);\n}\nparse("x");\n',
    });
    expect(result.error).toMatchObject({
      kind: 'runtime',
      name: 'TypeError',
      value: 'cannot parse x',
      message: 'TypeError: cannot parse x (the script exited with code 1)',
    });
    const traceback = result.error?.traceback ?? '';
    expect(traceback).toMatch(/^TypeError: cannot parse x\n {4}at parse \(\/work\/main\.c?js:2:9\)\n/);
    expect(traceback).toMatch(/main\.c?js:4:1\)?\n$/);
    expect(traceback).not.toMatch(/node\.mjs|node:internal|\/\.scriptbox/);
  });

  it('a plain Error in an unhandled rejection says the error, not the Node.js version', async () => {
    const result = await engine.run({
      language: 'javascript',
      source: 'async function load() {\n  await null;\n  throw new Error("no data");\n}\nload();\n',
    });
    expect(result.error).toMatchObject({ name: 'Error', value: 'no data' });
    expect(result.error?.message).toBe('Error: no data (the script exited with code 1)');
    expect(result.error?.traceback).toMatch(/^Error: no data\n {4}at load \(/);
  });

  it('a thrown non-Error is reported as Node shows it', async () => {
    const result = await engine.run({ language: 'javascript', source: 'throw "plain string";\n' });
    expect(result.error).toMatchObject({ name: 'Uncaught', value: "'plain string'" });
  });
});

describe('a hostile display channel', () => {
  it('outputs.jsonl replaced by a symlink to /etc/passwd: nothing of it is read', async () => {
    const result = await python(
      [
        'import os',
        'os.mkdir(".scriptbox-run")',
        'os.symlink("/etc/passwd", ".scriptbox-run/outputs.jsonl")',
        'display("after the link")  # the runner refuses to write through it',
      ].join('\n'),
    );
    expect(result.error).toBeNull();
    expect(result.stderr).toContain('scriptbox: a display item was lost');
    expect(JSON.stringify(result.outputs)).not.toContain('root:');
    expect(result.outputs).toEqual([
      {
        type: 'display',
        data: {
          'text/plain':
            'scriptbox: rich outputs not read: .scriptbox-run/outputs.jsonl is a symlink, not a regular file',
        },
      },
    ]);
  });

  it('the channel directory replaced by a symlink to /etc: nothing of it is read', async () => {
    const result = await python(
      'import os\nos.symlink("/etc", ".scriptbox-run")\ndisplay("through the link")\n',
    );
    expect(result.error).toBeNull();
    expect(result.outputs).toEqual([
      {
        type: 'display',
        data: {
          'text/plain': 'scriptbox: rich outputs not read: .scriptbox-run is a symlink, not a directory',
        },
      },
    ]);
  });

  it('100 MB of junk after a real figure: the figure is kept, the rest capped and dropped with a note', async () => {
    const result = await engine.run({
      language: 'python',
      limits: { diskMb: 256 },
      source: [
        'import json',
        'import matplotlib.pyplot as plt',
        'plt.plot([1, 2]); plt.show()',
        'with open(".scriptbox-run/outputs.jsonl", "a") as f:',
        '    f.write("not json\\n")',
        '    f.write(json.dumps({"type": "display", "data": {"image/png": "@@not base64@@"}}) + "\\n")',
        '    f.write(json.dumps({"type": "display", "data": {"text/markdown": "only unknown types"}}) + "\\n")',
        '    f.write(\'{"type": "display", "data": {"application/json": \' + "[" * 100000 + "]" * 100000 + "}}\\n")',
        '    f.write(json.dumps({"type": "display", "data": {"text/plain": "kept"}}) + "\\n")',
        '    chunk = "x" * (1 << 20)',
        '    for _ in range(100):',
        '        f.write(chunk)',
      ].join('\n'),
    });
    expect(result.error).toBeNull();
    expect(pngs(result)).toHaveLength(1);
    const texts = result.outputs.map((item) => item.data['text/plain']);
    expect(texts[1]).toBe('kept');
    expect(texts.slice(2)).toEqual([
      'scriptbox: rich outputs past the first 33554432 bytes were left out',
      'scriptbox: 5 rich outputs were dropped (malformed, cut off, or over the limit of 1000 items)',
    ]);
    // The result still prints: nothing nested deeply enough to overflow JSON.stringify got through.
    expect(JSON.stringify(result).length).toBeLessThan(1_000_000);
  });
});
