/**
 * The built-in tools against the real engine (bubblewrap sandboxes), a real SQLite library and the
 * built-in template packs; generate_with_llm against a local server speaking chat completions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createLlmProvider } from '../../src/generate/llm/provider.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { createToolbox, type Toolbox } from '../../src/tools/index.js';
import { findAnalysis } from '../../src/workflows/analysis/analyses/index.js';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { housing } from './analysis/datasets.js';
import { expectClose } from './analysis/harness.js';

const alice = { tokenId: 'a1', name: 'alice' };
const bob = { tokenId: 'b1', name: 'bob' };
const GREET =
  '# scriptbox-params: [{"name":"who","type":"string","description":"Whom to greet","required":true},' +
  '{"name":"times","type":"integer","description":"How often","min":1,"default":2}]\n' +
  'import json, sys\np = json.load(sys.stdin)\nprint(" ".join(["hello " + p["who"]] * p["times"]))\n';

let home: string;
let engine: Engine;
let library: Library;
let box: Toolbox;
let chat: Server;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-tools-'));
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({ home });
  chat = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const content = '```python\nprint(6 * 7)\n```';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          model: 'fake',
          choices: [{ message: { role: 'assistant', content }, finish_reason: 'stop' }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  const { port } = chat.address() as AddressInfo;
  const llm = createLlmProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'fake' });
  box = createToolbox({ engine, library, llm });
});
afterAll(async () => {
  await box.close();
  await engine.close();
  library.close();
  await new Promise((resolve) => chat.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

describe('built-in tools', () => {
  test('run_code runs in the sandbox with stdin and inline files (text and base64)', async () => {
    const source =
      'import sys\nprint(sys.stdin.read().upper(), open("a.txt").read(), open("b.bin", "rb").read())';
    const files = [
      { name: 'a.txt', content: 'text file' },
      { name: 'b.bin', content: Buffer.from([0, 255, 7]).toString('base64'), encoding: 'base64' },
    ];
    const result = await box.registry.invoke('run_code', { language: 'python', source, stdin: 'in', files });
    expect(result.output).toMatchObject({
      ok: true,
      exitCode: 0,
      stdout: "IN text file b'\\x00\\xff\\x07'\n",
    });
    expect(result.text).toMatch(/^ok: exit 0 in \d+ ms/);
    expect(result.cpuMs).toBe((result.output['usage'] as { cpuMs: number }).cpuMs);
  });

  test('run_code with checks strict: a rejected script is a result, not an error', async () => {
    const source = 'import os\nos.system("id")\n';
    const output = await box.registry.call('run_code', { language: 'python', source, checks: 'strict' });
    expect(output).toMatchObject({ ok: false, stdout: '', error: { kind: 'rejected', line: 2 } });
    await expect(box.registry.call('run_code', { language: 'cobol', source: 'x' })).rejects.toThrow(/cobol/);
  });

  test('check_code reports findings and is answered from the cache the second time', async () => {
    const input = { language: 'python', source: 'eval("1")\n' };
    const first = await box.registry.invoke('check_code', input);
    expect(first.output).toMatchObject({ blocked: true, findings: [{ line: 1, severity: 'error' }] });
    expect((await box.registry.invoke('check_code', { ...input, policy: 'strict' })).cached).toBe(true);
  });

  test('sessions: files persist across runs, belong to their creator, and close', async () => {
    const { sessionId } = (await box.registry.call(
      'session_create',
      { language: 'python' },
      { principal: alice },
    )) as {
      sessionId: string;
    };
    await box.registry.call(
      'session_upload',
      { sessionId, name: 'data.csv', content: 'x\n1\n2\n' },
      { principal: alice },
    );
    const source =
      'import os\nrows = open("data.csv").read().split()\nos.makedirs("out", exist_ok=True)\nopen("out/sum.txt", "w").write(str(sum(map(int, rows[1:]))))\nprint(len(rows))';
    const run = await box.registry.call('session_run', { sessionId, source }, { principal: alice });
    expect(run).toMatchObject({ ok: true, stdout: '3\n' });
    const listed = await box.registry.call('session_list_files', { sessionId }, { principal: alice });
    expect((listed['files'] as Array<{ path: string }>).map((f) => f.path).sort()).toEqual([
      'data.csv',
      'out/sum.txt', // (a stateful session keeps no copy of the code it ran)
    ]);
    const read = await box.registry.call(
      'session_read_file',
      { sessionId, name: 'out/sum.txt' },
      { principal: alice },
    );
    expect(read).toEqual({ name: 'out/sum.txt', bytes: 1, encoding: 'utf8', content: '3' });
    const stolen = box.registry.call('session_list_files', { sessionId }, { principal: bob });
    // Someone else's session is not found, as an unknown one (and as the HTTP API says it).
    await expect(stolen).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect(await box.registry.call('session_close', { sessionId }, { principal: alice })).toEqual({
      closed: true,
    });
    // Closed: its owner is told when and why (as the HTTP API's 410), anyone else still "not found".
    const closed = box.registry.call('session_run', { sessionId, source: 'print(1)' }, { principal: alice });
    await expect(closed).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await expect(closed).rejects.toThrow(
      /ended at .*closed by its owner.*create a new one with session_create/,
    );
    await expect(
      box.registry.call('session_run', { sessionId, source: 'print(1)' }, { principal: bob }),
    ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  test('a saved script that declares parameters becomes a tool; update replaces it, delete removes it', async () => {
    const saved = await box.registry.call(
      'save_script',
      { category: 'demo', task: 'greet', language: 'python', source: GREET, description: 'Greets someone' },
      { principal: alice },
    );
    expect(saved).toMatchObject({ name: 'demo_greet_001.py', version: 1, versionWho: 'alice' });
    const tool = box.registry.list().find((info) => info.name === 'script_demo_greet_001');
    expect(tool).toMatchObject({ script: { name: 'demo_greet_001.py', version: 1 }, metered: true });
    expect(tool?.inputSchema).toMatchObject({
      required: ['who'],
      properties: { times: { type: 'integer', default: 2 } },
    });
    const ran = await box.registry.call('script_demo_greet_001', { who: 'bob' }, { principal: alice });
    expect(ran).toMatchObject({
      script: { version: 1 },
      result: { ok: true, stdout: 'hello bob hello bob\n' },
      run: { who: 'alice' },
    });
    await expect(box.registry.call('script_demo_greet_001', { who: 'x', times: 0 })).rejects.toThrow(
      /times: /,
    );

    const hits = await box.registry.call('search_scripts', { query: 'greets' });
    expect((hits['hits'] as Array<{ name: string }>).map((hit) => hit.name)).toEqual(['demo_greet_001.py']);
    await box.registry.call('update_script', {
      name: 'demo_greet_001.py',
      source: GREET.replace('hello', 'hi'),
    });
    expect(box.registry.get('script_demo_greet_001').script).toEqual({
      name: 'demo_greet_001.py',
      version: 2,
    });
    const again = await box.registry.call('script_demo_greet_001', { who: 'amy', times: 1 });
    expect(again).toMatchObject({ result: { stdout: 'hi amy\n' } });
    expect(await box.registry.call('delete_script', { name: 'demo_greet_001.py' })).toMatchObject({
      versions: 2,
      runs: 2,
    });
    expect(box.registry.has('script_demo_greet_001')).toBe(false);
  });

  test('a broken parameter declaration gives no tool and says why', () => {
    library.save({
      category: 'demo',
      task: 'broken',
      language: 'python',
      source: '# scriptbox-params: [{"name": 1}]\n',
    });
    const sync = box.syncScripts();
    expect(sync.added).toEqual([]);
    expect(sync.problems).toEqual([
      { script: 'demo_broken_001.py', problem: expect.stringMatching(/0\.name/) as string },
    ]);
  });

  test('list_templates and generate_from_template render a template pack', async () => {
    const listed = await box.registry.call('list_templates', { pack: 'stats' });
    const ids = (listed['templates'] as Array<{ id: string }>).map((t) => t.id);
    expect(ids).toContain('stats/descriptive');
    const generated = await box.registry.call('generate_from_template', {
      template: 'stats/descriptive',
      params: { file: 'x.csv' },
    });
    expect(generated).toMatchObject({
      id: 'stats/descriptive',
      language: 'python',
      params: { file: 'x.csv' },
    });
    expect(generated['source']).toMatch(/x\.csv/);
    const bad = box.registry.call('generate_from_template', {
      template: 'stats/descriptive',
      params: { nope: 1 },
    });
    await expect(bad).rejects.toThrow(/nope: unknown parameter/);
  });

  test('analyze_table runs an analysis of an inline table: the direct result, charts as PNGs', async () => {
    const table = { name: 'flats.csv', content: tableToCsv(housing()) };
    const correlation = await box.registry.invoke('analyze_table', {
      table,
      analysis: 'correlation',
      columns: ['price', 'area'],
      params: { method: 'kendall' },
    });
    const output = correlation.output;
    expect(output).toMatchObject({ analysis: 'correlation', ok: true, error: null, charts: [] });
    expect(output['params']).toMatchObject({ columns: ['price', 'area'], method: 'kendall' });
    const spec = findAnalysis('correlation');
    expectClose(output['result'], spec?.direct(housing(), output['params'] as Record<string, unknown>));
    expect(correlation.text).toMatch(/kendall/i);

    const histogram = await box.registry.call('analyze_table', {
      table,
      analysis: 'histogram',
      columns: ['area'],
    });
    const charts = histogram['charts'] as Array<{ name: string; pngBase64: string }>;
    expect(charts.map((chart) => chart.name)).toEqual(['histogram_area.png']);
    expect(
      Buffer.from(charts[0]?.pngBase64 ?? '', 'base64')
        .subarray(1, 4)
        .toString('latin1'),
    ).toBe('PNG');
  });

  test('analyze_table refuses a malformed table and a column that does not fit, saying what to change', async () => {
    const ragged = box.registry.call('analyze_table', {
      table: { name: 'bad.csv', content: 'a,b\n1,2\n3\n' },
      analysis: 'descriptive',
    });
    await expect(ragged).rejects.toThrow(/line 3 has 1 field/);
    const text = box.registry.call('analyze_table', {
      table: { name: 'flats.csv', content: tableToCsv(housing()) },
      analysis: 'histogram',
      columns: ['district'],
    });
    await expect(text).rejects.toThrow(/column "district" is not numeric/);
  });

  test('generate_with_llm asks the model, runs the code and reports the attempts', async () => {
    const result = await box.registry.invoke('generate_with_llm', {
      prompt: 'print 42',
      language: 'python',
      run: true,
    });
    expect(result.output).toMatchObject({ ok: true, source: 'print(6 * 7)\n', model: 'fake' });
    const [attempt] = result.output['attempts'] as Array<{ run: { stdout: string } | null }>;
    expect(attempt?.run?.stdout).toBe('42\n');
    expect(result.cpuMs).toBeGreaterThanOrEqual(0);
  });
});
