/** `scriptbox extract` end to end: the real CLI process, sandboxes, egress proxy and local HTTP servers. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtractionResult } from '../../src/workflows/extract/index.js';
import { useNetServers } from '../support/net-servers.js';
import { runCli, stdoutJson } from './cli-process.js';
import { EXTRACT_SCRIPT } from './extract-fixtures.js';

const servers = useNetServers(['allowed.test']);
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scriptbox-extract-cli-'));
  writeFileSync(join(dir, 'scrape.py'), EXTRACT_SCRIPT);
  const url = (i: number): string => servers().http.url('allowed.test', `/json?p=${i}`);
  writeFileSync(
    join(dir, 'sources.jsonl'),
    [
      '# three shops',
      JSON.stringify({ url: url(0), id: 0 }),
      JSON.stringify({ url: url(1), id: 1, mode: 'garbage' }),
      '',
      JSON.stringify({ url: url(2), id: 2 }),
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const net = (): string[] => ['--resolve', servers().resolve('allowed.test'), '--allow-private-net'];

describe('scriptbox extract', () => {
  it('prints the result as JSON with --json and exits 1 when a source failed', async () => {
    const run = await runCli(
      ['extract', 'scrape.py', '--sources', 'sources.jsonl', '--json', '--no-log', ...net()],
      { cwd: dir },
    );
    expect(run.code).toBe(1);
    const result = stdoutJson(run) as ExtractionResult;
    expect(result.sources.map((s) => s.error?.kind ?? 'ok')).toEqual(['ok', 'output', 'ok']);
    expect(result.sources[2]?.records.map((r) => r.item)).toEqual([1, 2, 3]);
    expect(run.stderr).toBe('');
  }, 60_000);

  it('prints the report, logs JSON lines on stderr (not a terminal) and writes --out-dir', async () => {
    const run = await runCli(
      ['extract', 'scrape.py', '--sources', 'sources.jsonl', '--out-dir', 'out', ...net()],
      { cwd: dir },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Extraction: 3 sources · 2 ok · 1 failed · 6 records/);
    expect(run.stdout).toContain('Errors (1):\n  [1] ');
    expect(run.stdout).toMatch(/what to do: print a JSON array of objects/);
    const events = run.stderr
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events[0]).toBe('extract.start');
    expect(events.at(-1)).toBe('extract.done');
    const records = JSON.parse(readFileSync(join(dir, 'out', '0002.json'), 'utf8')) as unknown[];
    expect(records).toHaveLength(3);
  }, 60_000);

  it('exits 0 when every source succeeded', async () => {
    writeFileSync(join(dir, 'good.txt'), `${servers().http.url('allowed.test', '/json')}\n`);
    const script =
      'import json, os, urllib.request\nprint(json.dumps(json.load(urllib.request.urlopen(os.environ["SOURCE_URL"]))["items"] and [{"n": 1}]))\n';
    writeFileSync(join(dir, 'one.py'), script);
    const run = await runCli(['extract', 'one.py', '--sources', 'good.txt', '--json', '--no-log', ...net()], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect((stdoutJson(run) as ExtractionResult).sources[0]?.records).toEqual([{ n: 1 }]);
  }, 60_000);

  it('exits 2 naming the line of a bad sources file', async () => {
    writeFileSync(join(dir, 'bad.txt'), 'https://ok.example/\nftp://x.example/\n');
    const run = await runCli(['extract', 'scrape.py', '--sources', 'bad.txt'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bad.txt line 2: "ftp://x.example/": ftp is not supported');
  }, 60_000);
});
