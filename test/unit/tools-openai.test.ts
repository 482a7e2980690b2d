/**
 * OpenAI function-calling format under strict mode's rules, checked on every built-in tool (and a script
 * tool) by a checker written here from the rules, plus the way back: a model's strict arguments decoded
 * into input the tool's own schema accepts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { LlmProvider } from '../../src/generate/llm/provider.js';
import { openLibrary } from '../../src/library/index.js';
import {
  createBuiltinTools,
  decodeStrictArguments,
  parseScriptParams,
  scriptTool,
  ToolRegistry,
  type JsonSchema,
} from '../../src/tools/index.js';

const home = mkdtempSync(join(tmpdir(), 'scriptbox-openai-'));
const library = openLibrary({ home });
afterAll(() => {
  library.close();
  rmSync(home, { recursive: true, force: true });
});

// Handlers never run here: listing needs no engine and no model.
const engine = {} as Engine;
const llm: LlmProvider = {
  baseUrl: 'http://127.0.0.1:9',
  model: 'none',
  complete: () => Promise.reject(new Error('unused')),
};

function registryWithEverything(): ToolRegistry {
  const registry = new ToolRegistry();
  for (const tool of createBuiltinTools({ engine, library, llm }).tools) registry.register(tool);
  const record = library.save({
    category: 'demo',
    task: 'greet',
    language: 'python',
    source:
      '# scriptbox-params: [{"name":"who","type":"string","description":"Whom"},{"name":"n","type":"integer","description":"Times","min":1,"default":1},{"name":"tags","type":"string[]","description":"Labels","required":true}]\nprint(1)\n',
  });
  const params = parseScriptParams(record.source);
  if (params === null || 'problem' in params) throw new Error(`bad declaration: ${JSON.stringify(params)}`);
  registry.register(scriptTool(record, params.specs, { engine, library }));
  return registry;
}

/** The keywords strict mode accepts, written out independently of the implementation. */
const ALLOWED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'description',
  '$ref',
  '$defs',
]);

/** Every way `schema` breaks strict mode's rules, as `path: problem`. */
function strictProblems(schema: unknown, path: string): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return [`${path}: not a schema object`];
  const s = schema as JsonSchema;
  const problems = Object.keys(s)
    .filter((key) => !ALLOWED.has(key))
    .map((key) => `${path}: unsupported keyword ${key}`);
  if (!['type', 'anyOf', 'enum', 'const', '$ref'].some((key) => key in s)) problems.push(`${path}: no type`);
  const types: unknown[] = Array.isArray(s['type']) ? s['type'] : [s['type']];
  if (types.includes('object') || 'properties' in s) {
    const keys = Object.keys(s['properties'] ?? {});
    if (!('properties' in s)) problems.push(`${path}: object without properties`);
    if (s['additionalProperties'] !== false) problems.push(`${path}: additionalProperties is not false`);
    if (
      JSON.stringify([...((s['required'] ?? []) as string[])].sort()) !== JSON.stringify([...keys].sort())
    ) {
      problems.push(`${path}: not every property is required`);
    }
    for (const key of keys)
      problems.push(...strictProblems((s['properties'] as JsonSchema)[key], `${path}.${key}`));
  }
  if ('items' in s) problems.push(...strictProblems(s['items'], `${path}[]`));
  if ('anyOf' in s)
    (s['anyOf'] as unknown[]).forEach((branch, i) =>
      problems.push(...strictProblems(branch, `${path}|${i}`)),
    );
  return problems;
}

describe('openAiTools()', () => {
  const registry = registryWithEverything();
  const tools = registry.openAiTools();
  const byName = new Map(tools.map((tool) => [tool.function.name, tool.function]));

  test('covers every tool, in the function-calling format with strict on', () => {
    expect(tools.map((tool) => tool.function.name)).toEqual(registry.list().map((info) => info.name));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'run_code',
        'generate_with_llm',
        'delete_script',
        'session_run',
        'script_demo_greet_001',
      ]),
    );
    for (const tool of tools) {
      expect(tool.type).toBe('function');
      expect(tool.function.strict).toBe(true);
      expect(tool.function.description.length).toBeGreaterThan(10);
      expect(tool.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    }
  });

  test.each([...byName.keys()])('%s follows the strict rules', (name) => {
    const parameters = byName.get(name)?.parameters;
    expect(parameters?.['type']).toBe('object');
    expect(strictProblems(parameters, name)).toEqual([]);
  });

  test('optional fields become nullable; constraints and defaults move into the description', () => {
    const props = byName.get('run_code')?.parameters['properties'] as Record<string, JsonSchema>;
    expect(props['stdin']?.['type']).toEqual(['string', 'null']);
    expect(props['source']?.['type']).toBe('string');
    expect(props['limits']?.['anyOf']).toEqual([
      expect.objectContaining({ type: 'object' }),
      { type: 'null' },
    ]);
    expect(props['checks']?.['anyOf']).toEqual([
      { type: 'string', enum: ['strict', 'warn', 'off'] },
      { type: 'null' },
    ]);
    expect(props['checks']?.['description']).toMatch(/default "off"/);
    const limits = (props['limits']?.['anyOf'] as JsonSchema[])[0]?.['properties'] as Record<
      string,
      JsonSchema
    >;
    expect(limits['timeoutMs']?.['description']).toMatch(/at least 1, at most 3600000/);
  });

  test('free-form values travel as JSON text', () => {
    const props = byName.get('generate_from_template')?.parameters['properties'] as Record<
      string,
      JsonSchema
    >;
    expect(props['params']?.['type']).toEqual(['string', 'null']);
    expect(props['params']?.['description']).toMatch(/JSON text/);
  });

  test("a model's strict arguments decode into input the tool accepts", () => {
    const input = registry.list().find((info) => info.name === 'generate_from_template')?.inputSchema ?? {};
    expect(
      decodeStrictArguments({ template: 'stats/descriptive', params: '{"file":"x.csv"}' }, input),
    ).toEqual({
      template: 'stats/descriptive',
      params: { file: 'x.csv' },
    });
    expect(decodeStrictArguments({ template: 'stats/descriptive', params: null }, input)).toEqual({
      template: 'stats/descriptive',
    });
    const run = registry.list().find((info) => info.name === 'run_code')?.inputSchema ?? {};
    const args = {
      language: 'python',
      source: 'x',
      stdin: null,
      limits: { timeoutMs: 500, cpuMs: null },
      files: [{ name: 'a', content: 'b', encoding: null }],
      checks: null,
    };
    const decoded = decodeStrictArguments(args, run);
    expect(decoded).toEqual({
      language: 'python',
      source: 'x',
      limits: { timeoutMs: 500 },
      files: [{ name: 'a', content: 'b' }],
    });
    expect(registry.get('run_code').prepare(decoded).input).toMatchObject({
      checks: 'off',
      limits: { timeoutMs: 500 },
    });
  });

  test('callOpenAi() runs a tool from its tool call, nulls and all', async () => {
    const output = await registry.callOpenAi({
      name: 'list_templates',
      arguments: JSON.stringify({ pack: null }),
    });
    expect((output['templates'] as Array<{ id: string }>).map((t) => t.id)).toContain('stats/descriptive');
    await expect(registry.callOpenAi({ name: 'list_templates', arguments: '{oops' })).rejects.toThrow(
      /not JSON text/,
    );
  });
});
