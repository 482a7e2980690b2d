/**
 * Media in tool outputs: splitMedia finds out/ files, MIME-bundle images and analysis charts by shape and
 * leaves their bytes out of the rest (which still validates against the output schema); mediaBlocks turns
 * them into MCP content blocks; the default tool text carries no base64; the CLI warns per skipped file.
 */
import { ContentBlockSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { RunResultSchema, type RunResult } from '../../src/engine/result.js';
import { mediaBlocks } from '../../src/faces/mcp/media-blocks.js';
import { formatSkippedFiles } from '../../src/faces/cli/summary.js';
import { splitMedia } from '../../src/tools/media.js';
import { defineTool } from '../../src/tools/types.js';
import { runText } from '../../src/tools/text.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
const CSV = Buffer.from('a,b\n1,2\n').toString('base64');
const BIN = Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64');

function result(extra: Partial<RunResult>): RunResult {
  return {
    ok: true,
    language: 'python',
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: { stdout: false, stderr: false },
    error: null,
    usage: { wallMs: 1, cpuMs: 1, peakMemoryBytes: 1 },
    outputs: [],
    files: [],
    filesSkipped: [],
    scriptHash: 'x',
    ...extra,
  };
}

const sample = result({
  outputs: [
    { type: 'display', data: { 'text/plain': '<Figure>', 'image/png': PNG } },
    { type: 'result', data: { 'text/plain': '42' } },
  ],
  files: [
    { path: 'chart.png', bytes: 16, mediaType: 'image/png', content: PNG },
    { path: 'data.csv', bytes: 8, mediaType: 'text/csv', content: CSV },
    { path: 'raw.bin', bytes: 4, mediaType: 'application/octet-stream', content: BIN },
    { path: 'big.parquet', bytes: 5_000_000, mediaType: 'application/vnd.apache.parquet' },
    {
      path: 'linked.csv',
      bytes: 9,
      mediaType: 'text/csv',
      url: 'https://box.example/v1/runs/r/files/linked.csv',
    },
  ],
});

describe('splitMedia', () => {
  it('takes out images, files and links in order and leaves a rest that still fits RunResultSchema', () => {
    const { media, rest } = splitMedia(sample);
    expect(media).toEqual([
      { kind: 'image', name: 'output 0', mimeType: 'image/png', base64: PNG },
      { kind: 'image', name: 'out/chart.png', mimeType: 'image/png', base64: PNG },
      { kind: 'file', name: 'out/data.csv', mimeType: 'text/csv', bytes: 8, base64: CSV },
      { kind: 'file', name: 'out/raw.bin', mimeType: 'application/octet-stream', bytes: 4, base64: BIN },
      {
        kind: 'file',
        name: 'out/linked.csv',
        mimeType: 'text/csv',
        bytes: 9,
        url: 'https://box.example/v1/runs/r/files/linked.csv',
      },
    ]);
    const parsed = RunResultSchema.parse(rest);
    expect(parsed.files.map((file) => file.content)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(parsed.files.map((file) => file.path)).toEqual(sample.files.map((file) => file.path));
    expect(parsed.outputs).toEqual([
      { type: 'display', data: { 'text/plain': '<Figure>' } },
      { type: 'result', data: { 'text/plain': '42' } },
    ]);
    expect(JSON.stringify(rest)).not.toContain(PNG);
    // The input is not changed.
    expect(sample.files[0]?.content).toBe(PNG);
  });

  it('finds analysis charts and images read as base64; leaves other outputs alone', () => {
    const charts = splitMedia({ charts: [{ name: 'histogram', pngBase64: PNG }], ok: true });
    expect(charts.media).toEqual([{ kind: 'image', name: 'histogram', mimeType: 'image/png', base64: PNG }]);
    expect(charts.rest).toEqual({ charts: [{ name: 'histogram' }], ok: true });
    const read = { name: 'out/plot.png', bytes: 16, encoding: 'base64', content: PNG };
    expect(splitMedia(read)).toEqual({
      media: [{ kind: 'image', name: 'out/plot.png', mimeType: 'image/png', base64: PNG }],
      rest: read,
    });
    const plain = { files: [{ path: 'a.txt', bytes: 3 }], name: 'x', content: 'not media' };
    expect(splitMedia(plain)).toEqual({ media: [], rest: plain });
  });
});

describe('mediaBlocks', () => {
  it('makes image blocks, text and blob resources, and links only for absolute URLs', () => {
    const blocks = mediaBlocks([
      ...splitMedia(sample).media,
      { kind: 'file', name: 'out/rel.csv', mimeType: 'text/csv', bytes: 3, url: '/v1/runs/r/files/rel.csv' },
      { kind: 'file', name: 'output-1.svg', mimeType: 'image/svg+xml', text: '<svg/>' },
    ]);
    for (const block of blocks) expect(ContentBlockSchema.safeParse(block).success).toBe(true);
    expect(blocks).toEqual([
      { type: 'image', data: PNG, mimeType: 'image/png' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'scriptbox://run/out/data.csv', mimeType: 'text/csv', text: 'a,b\n1,2\n' },
      },
      {
        type: 'resource',
        resource: { uri: 'scriptbox://run/out/raw.bin', mimeType: 'application/octet-stream', blob: BIN },
      },
      {
        type: 'resource_link',
        uri: 'https://box.example/v1/runs/r/files/linked.csv',
        name: 'out/linked.csv',
        mimeType: 'text/csv',
        size: 9,
      },
      {
        type: 'resource',
        resource: { uri: 'scriptbox://run/output-1.svg', mimeType: 'image/svg+xml', text: '<svg/>' },
      },
    ]);
  });

  it('sends a text type that is not UTF-8 as a blob', () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('base64');
    expect(mediaBlocks([{ kind: 'file', name: 'out/x.csv', mimeType: 'text/csv', base64: latin1 }])).toEqual([
      {
        type: 'resource',
        resource: { uri: 'scriptbox://run/out/x.csv', mimeType: 'text/csv', blob: latin1 },
      },
    ]);
  });
});

describe('texts', () => {
  it('the default tool text is the JSON without media bytes', async () => {
    const tool = defineTool({
      name: 't',
      description: 'd',
      input: z.object({}),
      output: RunResultSchema,
      annotations: {},
      handler: () => Promise.resolve(sample),
    });
    const { text, output } = await tool.prepare({}).run({ signal: new AbortController().signal });
    expect(text).not.toContain(PNG);
    expect(text).not.toContain(CSV);
    expect(JSON.parse(text)).toMatchObject({
      files: [{ path: 'chart.png', bytes: 16 }, { path: 'data.csv' }, {}, {}, {}],
    });
    // The structured output itself keeps everything: other faces (the library API) want the bytes.
    expect((output['files'] as Array<{ content?: string }>)[0]?.content).toBe(PNG);
  });

  it('runText and the CLI name each skipped file with its reason, and sum up many', () => {
    const few = result({
      filesSkipped: [
        { path: 'big.bin', reason: '41943040 bytes would pass limits.maxOutBytes (33554432)' },
        { path: 'link', reason: 'symlink; not followed' },
      ],
    });
    expect(formatSkippedFiles(few)).toEqual([
      'warning: out/big.bin not returned: 41943040 bytes would pass limits.maxOutBytes (33554432)',
      'warning: out/link not returned: symlink; not followed',
    ]);
    expect(runText(few)).toContain('not returned: out/link (symlink; not followed)');
    const many = result({
      filesSkipped: Array.from({ length: 12 }, (_, i) => ({
        path: `f${i}`,
        reason: 'over limits.maxOutFiles (100 files)',
      })),
    });
    const lines = formatSkippedFiles(many);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('warning: out/f0 not returned: over limits.maxOutFiles (100 files)');
    expect(lines[4]).toBe('warning: 8 more out/ entries not returned (--json lists them in filesSkipped)');
    expect(formatSkippedFiles(result({}))).toEqual([]);
    expect(formatSkippedFiles(result({ filesSkipped: [{ path: '.', reason: 'out is a symlink' }] }))).toEqual(
      ['warning: out/ not returned: out is a symlink'],
    );
  });
});
