/**
 * MCP shows images as images: the SDK's own Client over streamable HTTP against mountMcpHttp, real
 * sandboxes. A matplotlib figure saved to out/chart.png arrives as an `image` block with valid PNG bytes,
 * a figure shown without saving likewise (the run's `outputs`), a CSV as an embedded text resource,
 * analyze_table's charts as image blocks; the JSON (text and structuredContent) leaves their bytes out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine, type RunResult } from '../../src/index.js';
import { mountMcpHttp } from '../../src/faces/mcp/index.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { openLibrary, type Library } from '../../src/library/index.js';
import { createToolbox, type Toolbox } from '../../src/tools/index.js';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { housing } from './analysis/datasets.js';

let home: string;
let engine: Engine;
let library: Library;
let box: Toolbox;
let app: FastifyInstance;
let client: Client;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-mcp-media-'));
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({ home });
  const templates = createTemplateRegistry();
  box = createToolbox({ engine, library, templates });
  app = Fastify();
  mountMcpHttp(app, { registry: box.registry, library, templates });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp`);
  client = new Client({ name: 'scriptbox-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url));
}, 60_000);
afterAll(async () => {
  await client.close();
  await app.close();
  await box.close();
  await engine.close();
  library.close();
  rmSync(home, { recursive: true, force: true });
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk, after checking the signature and the chunk's name. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  // A PNG ends with its IEND chunk: the bytes are whole, not cut.
  expect(bytes.subarray(bytes.length - 8, bytes.length - 4).toString('latin1')).toBe('IEND');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const images = (result: CallToolResult) =>
  result.content.flatMap((block) => (block.type === 'image' ? [block] : []));
const textOf = (result: CallToolResult): string =>
  result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');

async function runCode(source: string): Promise<CallToolResult> {
  return (await client.callTool({
    name: 'run_code',
    arguments: { language: 'python', source },
  })) as CallToolResult;
}

describe('MCP results with images and files', () => {
  test('a matplotlib figure saved to out/chart.png arrives as an image block with valid PNG bytes', async () => {
    const result = await runCode(`
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
ax.plot([1, 2, 3], [1, 4, 9])
fig.savefig("out/chart.png")
plt.close(fig)
open("out/data.csv", "w").write("x,y\\n1,1\\n2,4\\n")
print("saved")
`);
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.type).toBe('text');
    const [image, ...more] = images(result);
    expect(more).toEqual([]);
    expect(image?.mimeType).toBe('image/png');
    expect(pngSize(Buffer.from(image?.data ?? '', 'base64'))).toEqual({ width: 400, height: 300 });
    const resources = result.content.flatMap((block) => (block.type === 'resource' ? [block.resource] : []));
    expect(resources).toEqual([
      { uri: 'scriptbox://run/out/data.csv', mimeType: 'text/csv', text: 'x,y\n1,1\n2,4\n' },
    ]);
    // The JSON keeps the listing but not the bytes the blocks carry.
    const structured = result.structuredContent as RunResult;
    expect(structured.stdout).toBe('saved\n');
    expect(structured.files.map((file) => [file.path, file.mediaType, file.content])).toEqual([
      ['chart.png', 'image/png', undefined],
      ['data.csv', 'text/csv', undefined],
    ]);
    expect(textOf(result)).not.toContain(image?.data.slice(0, 64));
    expect(JSON.stringify(result.structuredContent)).not.toContain(image?.data.slice(0, 64));
  });

  test('a figure shown without saving (the run outputs) arrives as an image block too', async () => {
    const result = await runCode(`
import matplotlib.pyplot as plt
plt.figure(figsize=(2, 2), dpi=50)
plt.bar(["a", "b"], [3, 5])
plt.show()
`);
    expect(result.isError).toBeFalsy();
    const [image] = images(result);
    expect(image?.mimeType).toBe('image/png');
    // About 2 in at 50 dpi: the display backend crops to the drawn area, as Jupyter's inline backend does.
    const { width, height } = pngSize(Buffer.from(image?.data ?? '', 'base64'));
    expect([width, height].every((side) => side > 60 && side <= 100)).toBe(true);
    const structured = result.structuredContent as RunResult;
    expect(structured.outputs.length).toBeGreaterThanOrEqual(1);
    expect(structured.outputs.every((item) => item.data['image/png'] === undefined)).toBe(true);
  });

  test("analyze_table's histogram arrives as an image block, its JSON without the base64", async () => {
    const result = (await client.callTool({
      name: 'analyze_table',
      arguments: {
        table: { name: 'housing.csv', content: tableToCsv(housing()) },
        analysis: 'histogram',
        columns: ['price'],
      },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const shown = images(result);
    expect(shown.length).toBeGreaterThanOrEqual(1);
    for (const image of shown) {
      expect(image.mimeType).toBe('image/png');
      expect(pngSize(Buffer.from(image.data, 'base64')).width).toBeGreaterThan(100);
    }
    const charts = (result.structuredContent as { charts: Array<Record<string, unknown>> }).charts;
    expect(charts).toHaveLength(shown.length);
    for (const chart of charts) {
      expect(chart['name']).toBeTypeOf('string');
      expect(chart).not.toHaveProperty('pngBase64');
    }
  });
});
