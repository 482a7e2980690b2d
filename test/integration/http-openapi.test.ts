/**
 * /openapi.json covers every registered route with the request schemas the server validates with (the
 * library's own zod schemas) and the schemas of what each route answers (the same ones), and a fuzz over
 * every route's body: malformed bodies get a 4xx with a message, never a 500 or a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_KINDS, RunResultSchema } from '../../src/engine/result.js';
import {
  OpenApiDocumentSchema,
  requestJsonSchema,
  responseJsonSchema,
} from '../../src/faces/http/openapi.js';
import { PistonExecuteSchema } from '../../src/faces/http/piston.js';
import { ExtractBodySchema } from '../../src/faces/http/routes-extract.js';
import { InstrumentBodySchema } from '../../src/faces/http/routes-instrument.js';
import * as http from '../../src/faces/http/schemas.js';
import { createServer } from '../../src/faces/http/server.js';
import { createEngine, RunOptsSchema, ScriptboxError } from '../../src/index.js';
import { openLibrary, SaveOptsSchema } from '../../src/library/index.js';
import type { ServiceGuard } from '../../src/access/guard-types.js';

/** A guard double that lets everyone in but admits no run: a valid body is answered 429, never run. */
const guard: ServiceGuard = {
  tokensRequired: false,
  authenticate: () => ({ tokenId: null, name: 'fuzzer' }),
  admitNetwork: () => undefined,
  admitRun: () => {
    throw new ScriptboxError('RATE_LIMITED', 'no runs while fuzzing', { data: { retryAfterSeconds: 1 } });
  },
  chargeCpu: () => undefined,
  audit: () => undefined,
};

let app: FastifyInstance;
let home: string;
type Content = Record<string, { schema: unknown }>;
interface Operation {
  requestBody?: { content: Content };
  responses: Record<string, { description: string; content?: Content }>;
}
let doc: { paths: Record<string, Record<string, Operation>> };
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'scriptbox-http-openapi-'));
  const engine = await createEngine({ pool: { size: 0 } });
  app = await createServer({ engine, library: openLibrary({ home }), guard });
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => {
  await app.close();
  rmSync(home, { recursive: true, force: true });
});

/** `METHOD /path` of every route Fastify has, from its route tree (HEAD routes are Fastify's own). */
function registeredRoutes(): string[] {
  const found: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    prefixes.length = depth;
    const parent = prefixes[depth - 1] ?? '';
    const segment = match[2] ?? '';
    // The tree prints a wildcard under `/files` as `*`: the `/` between them is implied.
    const path = parent + (segment === '*' && !parent.endsWith('/') ? '/*' : segment);
    prefixes.push(path);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD'))
      found.push(`${method} ${path.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')}`);
  }
  return found.sort();
}

/** The schema each body route validates with, by `METHOD /path`. */
const BODY_SCHEMAS: Record<string, z.ZodType> = {
  'POST /v1/runs': http.RunBodySchema,
  'POST /v1/runs/stream': http.RunBodySchema,
  'POST /v1/batches': http.BatchBodySchema,
  'POST /v1/extract': ExtractBodySchema,
  'POST /v1/instrument': InstrumentBodySchema,
  'POST /v1/sessions': http.SessionBodySchema,
  'POST /v1/sessions/{id}/files': http.UploadBodySchema,
  'POST /v1/sessions/{id}/runs': http.SessionRunBodySchema,
  'POST /v1/sessions/{id}/runs/stream': http.SessionRunBodySchema,
  'POST /v1/generate': http.GenerateBodySchema,
  'POST /v1/check': http.CheckBodySchema,
  'POST /v1/scripts': http.SaveBodySchema,
  'PUT /v1/scripts/{name}': http.UpdateBodySchema,
  'POST /v1/scripts/{name}/runs': http.ScriptRunBodySchema,
  'POST /api/v2/execute': PistonExecuteSchema,
};

/** A valid body per route with every field set, mutated by the fuzzer into near-valid ones. */
const LIMITS = {
  timeoutMs: 1000,
  cpuMs: 1000,
  memoryMb: 64,
  maxProcesses: 8,
  maxOutputBytes: 1000,
  diskMb: 8,
};
const FILES = [{ name: 'a.txt', content: 'YQ==', encoding: 'base64' }];
const RUN = { stdin: 'in', files: FILES, limits: LIMITS, checks: 'warn' };
const VALID: Record<string, Record<string, unknown>> = {
  'POST /v1/runs': { language: 'python', source: 'print(1)', ...RUN },
  'POST /v1/runs/stream': { language: 'python', source: 'print(1)', ...RUN },
  'POST /v1/batches': {
    script: { language: 'python', source: 'print(1)' },
    items: [1, { a: [null] }],
    concurrency: 2,
    limits: LIMITS,
  },
  'POST /v1/extract': {
    script: { language: 'python', source: 'print(1)' },
    sources: [{ url: 'https://a.example/x', id: 1 }],
    concurrency: 2,
    allow: ['cdn.example'],
    limits: LIMITS,
    networkLimits: { maxRequests: 5 },
  },
  'POST /v1/instrument': {
    // A tar.gz of one empty file, a.py.
    archive:
      'H4sIAAAAAAAAA0vUK6hkoDEwMDAwMDMxAdMGBgboNBa2mamRKYOCAa0dBgKlxSWJRQwGdLFrFIyCUTAKBhEAADhYx50ABgAA',
    languages: ['python'],
    exclude: ['x'],
    workers: 2,
    format: 'zip',
  },
  'POST /v1/sessions': {
    language: 'python',
    preload: ['json'],
    limits: LIMITS,
    files: FILES,
    idleTimeoutMs: 5000,
  },
  'POST /v1/sessions/{id}/files': { files: FILES },
  'POST /v1/sessions/{id}/runs': { source: 'print(1)', ...RUN },
  'POST /v1/sessions/{id}/runs/stream': { source: 'print(1)', ...RUN },
  'POST /v1/generate': { template: 'stats/descriptive', params: { columns: ['a'] } },
  'POST /v1/check': { language: 'python', source: 'print(1)', policy: 'warn', network: false },
  'POST /v1/scripts': {
    category: 'fuzz',
    task: 't',
    language: 'python',
    source: 'print(1)',
    description: 'd',
    tags: ['x'],
  },
  'PUT /v1/scripts/{name}': { source: 'print(2)', note: 'n', baseVersion: 1 },
  'POST /v1/scripts/{name}/runs': { version: 1, ...RUN },
  'POST /api/v2/execute': {
    language: 'python',
    version: '*',
    files: [
      { name: 'main.py', content: 'print(1)' },
      { name: 'in.txt', content: '00ff', encoding: 'hex' },
    ],
    stdin: '',
    args: ['a'],
    run_timeout: 1000,
    run_memory_limit: -1,
  },
};

describe('/openapi.json', () => {
  it('documents every registered route, and only those', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(registeredRoutes().length).toBeGreaterThanOrEqual(25);
    expect(documented).toEqual(registeredRoutes());
    for (const route of documented) {
      const [method = '', path = ''] = route.split(' ');
      const url = path.replace(/\{path\}$/, '*').replace(/\{(\w+)\}/g, ':$1');
      expect(app.hasRoute({ method, url }), route).toBe(true);
    }
  });

  it('documents each body with the exact JSON Schema of the zod schema the route validates with', () => {
    const withBody = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.requestBody !== undefined)
        .map(
          ([method, op]) =>
            [`${method.toUpperCase()} ${path}`, op.requestBody?.content['application/json']?.schema] as const,
        ),
    );
    expect(withBody.map(([key]) => key).sort()).toEqual(Object.keys(BODY_SCHEMAS).sort());
    for (const [key, schema] of withBody) {
      const expected = BODY_SCHEMAS[key];
      expect(expected, key).toBeDefined();
      if (expected) expect(schema, key).toEqual(requestJsonSchema(expected));
    }
  });

  it('documents what every route answers with a schema: none is {}, only 204 has no content', () => {
    const answers = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([status]) => status.startsWith('2'))
          .map(([status, answer]) => [`${method.toUpperCase()} ${path} ${status}`, answer] as const),
      ),
    );
    expect(answers.length).toBe(registeredRoutes().length);
    for (const [key, answer] of answers) {
      if (key.endsWith(' 204')) {
        expect(answer.content, key).toBeUndefined();
        continue;
      }
      const schemas = Object.values(answer.content ?? {}).map((content) => content.schema);
      expect(schemas.length, key).toBe(1);
      for (const schema of schemas) {
        expect(schema, key).not.toEqual({});
        // A type of its own, or a choice between schemas that each have one.
        const { type, anyOf } = schema as { type?: unknown; anyOf?: Array<{ type?: unknown }> };
        const types = anyOf ? anyOf.map((branch) => branch.type) : [type];
        expect(
          types.every((t) => typeof t === 'string'),
          key,
        ).toBe(true);
      }
    }
  });

  it('documents POST /v1/runs as answering the RunResult the engine returns', () => {
    const schema = doc.paths['/v1/runs']?.['post']?.responses['200']?.content?.['application/json']
      ?.schema as {
      properties: Record<string, { properties?: Record<string, unknown>; anyOf?: unknown[] }>;
      required: string[];
    };
    expect(schema).toEqual(responseJsonSchema(RunResultSchema));
    const fields = ['ok', 'language', 'exitCode', 'signal', 'stdout', 'stderr', 'truncated', 'error'];
    const more = ['usage', 'outputs', 'files', 'filesSkipped', 'scriptHash'];
    // findings, network and state are there only when the run was checked / granted network / in a session.
    expect(Object.keys(schema.properties).sort()).toEqual(
      [...fields, ...more, 'findings', 'network', 'state'].sort(),
    );
    expect([...schema.required].sort()).toEqual([...fields, ...more].sort());
    expect(Object.keys(schema.properties['usage']?.properties ?? {})).toEqual([
      'wallMs',
      'cpuMs',
      'peakMemoryBytes',
    ]);
    expect(schema.properties['error']?.anyOf?.[0]).toMatchObject({
      properties: { kind: { enum: [...ERROR_KINDS] } },
    });
    // The session run and a batch's items answer the same RunResult.
    const sessionRun = doc.paths['/v1/sessions/{id}/runs']?.['post']?.responses['200'];
    expect(sessionRun?.content?.['application/json']?.schema).toEqual(schema);
  });

  it('answers what it documents', async () => {
    const answers: Record<string, z.ZodType> = {
      '/health': http.HealthSchema,
      '/v1/version': http.VersionSchema,
      '/v1/scripts': http.ScriptListSchema,
      '/v1/sessions': http.SessionListSchema,
      '/v1/templates': http.TemplateListSchema,
      '/v1/templates/stats/descriptive': http.PublicTemplateDetailsSchema,
      '/openapi.json': OpenApiDocumentSchema,
    };
    for (const [url, schema] of Object.entries(answers)) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(schema.safeParse(res.json()).error, url).toBeUndefined();
    }
  });

  it('derives the HTTP bodies from the library schemas instead of copying them', () => {
    expect(http.RunBodySchema.shape.limits).toBe(RunOptsSchema.shape.limits);
    expect(http.RunBodySchema.shape.language).toBe(RunOptsSchema.shape.language);
    expect(Object.keys(http.SaveBodySchema.shape).sort()).toEqual(
      Object.keys(SaveOptsSchema.shape)
        .filter((k) => k !== 'who')
        .sort(),
    );
    // Host paths and output directories never travel over HTTP.
    const runJson = JSON.stringify(requestJsonSchema(http.RunBodySchema));
    expect([runJson.includes('"outDir"'), runJson.includes('"path"'), runJson.includes('"signal"')]).toEqual([
      false,
      false,
      false,
    ]);
  });
});

const urlOf = (key: string): [string, string] => {
  const [method = 'POST', path = '/'] = key.split(' ');
  return [method, path.replace('{id}', 'no-such-session').replace('{name}', 'fuzz_t_001.py')];
};

/** Values that often break handlers: empty, negative, huge, fractional, wrong types. */
const ODD = fc.constantFrom<unknown>(
  '',
  -1,
  0,
  1.5,
  2 ** 53,
  -(2 ** 31),
  'x'.repeat(300),
  [],
  {},
  null,
  true,
  '../x',
);

/**
 * Near-valid values: at every depth each field is kept, mutated, dropped or replaced by an odd or any
 * JSON value, and objects sometimes get an extra field.
 */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  const replaced = fc.oneof(ODD, fc.jsonValue({ maxDepth: 2 }));
  if (Array.isArray(value)) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.tuple(...value.map(mutate)) },
      { weight: 1, arbitrary: replaced },
    );
  }
  if (typeof value === 'object' && value !== null) {
    const fields = Object.fromEntries(Object.entries(value).map(([key, field]) => [key, mutate(field)]));
    const extra = fc.option(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 1 }),
      {
        freq: 8,
      },
    );
    const mutated = fc
      .tuple(fc.record(fields, { requiredKeys: [] }), extra)
      .map(([body, more]) => ({ ...body, ...more }));
    return fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: replaced });
  }
  return fc.oneof({ weight: 2, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: replaced });
}

describe('fuzzing every body', () => {
  it('answers malformed bodies with a 4xx and a message, never a 5xx or a stack', async () => {
    for (const key of Object.keys(BODY_SCHEMAS)) {
      const [method, url] = urlOf(key);
      const schema = BODY_SCHEMAS[key];
      const valid = VALID[key];
      if (!schema || !valid) throw new Error(`no fuzz seed for ${key}`);
      expect(schema.safeParse(valid).error, `the seed of ${key} validates`).toBeUndefined();
      const validates = (body: unknown): boolean =>
        (key === 'POST /v1/generate' ? http.generateBodySchema(body) : schema).safeParse(body).success;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 1, arbitrary: fc.jsonValue() }, { weight: 4, arbitrary: mutate(valid) }),
          async (body) => {
            const res = await app.inject({
              method: method === 'PUT' ? 'PUT' : 'POST',
              url,
              payload: JSON.stringify(body),
              headers: { 'content-type': 'application/json' },
            });
            expect(res.statusCode, `${key} ${res.body}`).toBeLessThan(500);
            if (!validates(body))
              expect(res.statusCode, `${key} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
            if (res.statusCode >= 400) {
              const answer = res.json<{ error?: { message?: unknown }; message?: unknown }>();
              const message = url.startsWith('/api/') ? answer.message : answer.error?.message;
              expect(typeof message === 'string' && message.length > 0, `${key} ${res.body}`).toBe(true);
              expect(res.body).not.toMatch(/\n\s+at |node_modules/);
            }
          },
        ),
        { numRuns: 150 },
      );
    }
  });

  it('answers broken JSON with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        const res = await app.inject({
          method: 'POST',
          url: '/v1/runs',
          payload: `{${text}`,
          headers: { 'content-type': 'application/json' },
        });
        expect(res.statusCode).toBe(400);
        expect(res.json<{ error: { message: string } }>().error.message).not.toBe('');
      }),
      { numRuns: 100 },
    );
  });

  it('answers any query of the script list with 200 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('q', 'limit', 'language', 'category', 'x'), fc.string()),
        async (query) => {
          const res = await app.inject({ method: 'GET', url: '/v1/scripts', query });
          expect([200, 400], res.body).toContain(res.statusCode);
        },
      ),
      { numRuns: 150 },
    );
  });
});
