/**
 * `scriptbox mcp` over stdio, driven by the SDK's own Client: the real CLI process (tsx), a throwaway
 * SCRIPTBOX_HOME, real sandboxes. The client here has no elicitation: destructive tools need confirm.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let home: string;
let client: Client;
let transport: StdioClientTransport;
let stderr = '';
let listChanged = 0;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-mcp-stdio-'));
  transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', TSX, MAIN, 'mcp'],
    env: { ...(process.env as Record<string, string>), SCRIPTBOX_HOME: home },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  client = new Client({ name: 'scriptbox-test', version: '1.0.0' });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged += 1;
  });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client.close(); // a no-op when the last test closed it
  rmSync(home, { recursive: true, force: true });
});

const text = (result: CallToolResult): string =>
  result.content.map((item) => (item.type === 'text' ? item.text : '')).join('');

describe('scriptbox mcp (stdio)', () => {
  test('lists every built-in tool with annotations and schemas', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of ['run_code', 'run_script', 'check_code', 'generate_from_template', 'list_templates']) {
      expect(byName.has(name), name).toBe(true);
    }
    expect(byName.has('generate_with_llm')).toBe(false); // no SCRIPTBOX_LLM_* here
    expect(byName.get('run_code')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get('delete_script')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(byName.get('check_code')?.annotations).toMatchObject({ idempotentHint: true });
    expect(byName.get('run_code')?.inputSchema).toMatchObject({
      type: 'object',
      required: ['language', 'source'],
      properties: { source: { type: 'string' }, limits: { type: 'object' } },
    });
    expect(byName.get('run_code')?.outputSchema?.properties).toHaveProperty('stdout');
    expect(byName.get('delete_script')?.inputSchema.properties).toHaveProperty('confirm');
    expect(stderr).toMatch(/scriptbox mcp: ready: \d+ tools/);
  });

  test('run_code runs in the sandbox: structuredContent carries the result, text shows it', async () => {
    const result = (await client.callTool({
      name: 'run_code',
      arguments: {
        language: 'python',
        source: 'import sys\nprint(sum(range(10)), sys.stdin.read())',
        stdin: 'hi',
      },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ ok: true, exitCode: 0, stdout: '45 hi\n', error: null });
    expect(text(result)).toMatch(/^ok: exit 0 in \d+ ms[^]*--- stdout ---\n45 hi/);
  });

  test('bad input is a tool error naming the field', async () => {
    const result = (await client.callTool({
      name: 'run_code',
      arguments: { language: 'python', source: 1 },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/source/);
  });

  test("a name not found: a tool error with its code, a resource read's JSON-RPC -32002; MCP's pointers", async () => {
    const template = (await client.callTool({
      name: 'generate_from_template',
      arguments: { template: 'stats/nope' },
    })) as CallToolResult;
    expect(template.isError).toBe(true);
    expect(text(template)).toMatch(
      /^TEMPLATE_NOT_FOUND: no template "stats\/nope" .*; see the list_templates tool$/,
    );
    const script = (await client.callTool({
      name: 'get_script',
      arguments: { name: 'nope_none_001.py' },
    })) as CallToolResult;
    expect(text(script)).toBe(
      'LIBRARY_NOT_FOUND: no script named nope_none_001.py; see the search_scripts tool',
    );
    const read = await client
      .readResource({ uri: 'scriptbox://scripts/nope_none_001.py' })
      .catch((err: unknown) => err);
    expect(read).toMatchObject({
      code: -32002,
      message: expect.stringMatching(
        /no script named nope_none_001\.py; see the search_scripts tool$/,
      ) as string,
      data: { code: 'LIBRARY_NOT_FOUND', name: 'nope_none_001.py' },
    });
  });

  test('a saved script is a resource, and with declared parameters a tool (list_changed is sent)', async () => {
    const source =
      '# scriptbox-params: [{"name":"n","type":"integer","description":"Count","default":3}]\nimport json,sys\nprint(json.load(sys.stdin)["n"] * 2)\n';
    const saved = (await client.callTool({
      name: 'save_script',
      arguments: { category: 'demo', task: 'double', language: 'python', source, description: 'Doubles n' },
    })) as CallToolResult;
    expect(saved.structuredContent).toMatchObject({ name: 'demo_double_001.py', version: 1 });
    const resource = await client.readResource({ uri: 'scriptbox://scripts/demo_double_001.py' });
    expect(resource.contents).toEqual([
      { uri: 'scriptbox://scripts/demo_double_001.py', mimeType: 'text/x-python', text: source },
    ]);
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain('scriptbox://scripts/demo_double_001.py');
    expect(resources.map((r) => r.uri)).toContain('scriptbox://templates/stats/descriptive');
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'script_demo_double_001')?.description).toMatch(/Doubles n/);
    expect(listChanged).toBeGreaterThan(0);
    const ran = (await client.callTool({
      name: 'script_demo_double_001',
      arguments: { n: 21 },
    })) as CallToolResult;
    expect(ran.structuredContent).toMatchObject({ result: { ok: true, stdout: '42\n' } });
  });

  test('without elicitation, a destructive tool needs confirm: true', async () => {
    const refused = (await client.callTool({
      name: 'delete_script',
      arguments: { name: 'demo_double_001.py' },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/was not run: .*no elicitation support.*"confirm": true/);
    const still = await client.readResource({ uri: 'scriptbox://scripts/demo_double_001.py' });
    expect(still.contents).toHaveLength(1);
    const done = (await client.callTool({
      name: 'delete_script',
      arguments: { name: 'demo_double_001.py', confirm: true },
    })) as CallToolResult;
    expect(done.structuredContent).toEqual({ name: 'demo_double_001.py', versions: 1, runs: 1 });
    const { tools } = await client.listTools();
    expect(tools.some((tool) => tool.name === 'script_demo_double_001')).toBe(false);
  });

  test('a template is a resource with its parameters and text', async () => {
    const { contents } = await client.readResource({ uri: 'scriptbox://templates/stats/descriptive' });
    const [content] = contents;
    expect(content?.mimeType).toBe('application/json');
    const json = content !== undefined && 'text' in content ? content.text : '{}';
    const document = JSON.parse(json) as Record<string, unknown>;
    expect(document).toMatchObject({ id: 'stats/descriptive', language: 'python' });
    expect(document['template']).toMatch(/\{\{/);
    expect(document['paramsJsonSchema']).toMatchObject({ type: 'object' });
  });

  test('closing the client (stdin ends) ends the server process on its own', async () => {
    const pid = transport.pid;
    expect(pid).toBeGreaterThan(0);
    const started = Date.now();
    await client.close();
    // The SDK client sends SIGTERM only after waiting 2 s for the process to exit by itself.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
  });
});
