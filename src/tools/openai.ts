/**
 * Tools in OpenAI function-calling format, under strict mode's rules: every object closed
 * (`additionalProperties: false`) with every property required, optional ones as nullable unions; only the
 * keywords strict mode accepts (constraints it may refuse move into the description, and the registry still
 * enforces them); values strict mode cannot describe (free-form objects, unknown values) travel as JSON
 * text. decodeStrictArguments() maps a model's arguments back: nulls of optional fields dropped, JSON text
 * parsed, so they validate against the tool's own schema.
 */

export type JsonSchema = Record<string, unknown>;

export interface OpenAiTool {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema; strict: true };
}

/** The keywords strict mode accepts; anything else is dropped (or described). */
export const STRICT_KEYWORDS: ReadonlySet<string> = new Set([
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

const DESCRIBED: ReadonlyArray<[string, (value: unknown) => string]> = [
  ['minLength', (v) => (v === 1 ? 'not empty' : `at least ${String(v)} characters`)],
  ['maxLength', (v) => `at most ${String(v)} characters`],
  ['pattern', (v) => `matching /${String(v)}/`],
  ['format', (v) => `format ${String(v)}`],
  ['minimum', (v) => `at least ${String(v)}`],
  ['maximum', (v) => `at most ${String(v)}`],
  ['exclusiveMinimum', (v) => `more than ${String(v)}`],
  ['exclusiveMaximum', (v) => `less than ${String(v)}`],
  ['multipleOf', (v) => `a multiple of ${String(v)}`],
  ['minItems', (v) => `at least ${String(v)} items`],
  ['maxItems', (v) => `at most ${String(v)} items`],
  ['default', (v) => `default ${JSON.stringify(v)}`],
];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const schemaList = (value: unknown): JsonSchema[] => (Array.isArray(value) ? value.filter(isObject) : []);

function typesOf(schema: JsonSchema): string[] {
  const { type } = schema;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

/** A schema strict mode cannot state: anything-goes, records, intersections, negations. */
export function isFreeForm(schema: JsonSchema): boolean {
  const shaped = ['type', 'anyOf', 'oneOf', 'enum', 'const', '$ref'].some((key) => key in schema);
  if (!shaped || 'allOf' in schema || 'not' in schema || 'if' in schema) return true;
  const isObjectType = typesOf(schema).includes('object');
  const open = 'additionalProperties' in schema && schema['additionalProperties'] !== false;
  return isObjectType && (!isObject(schema['properties']) || open);
}

function acceptsNull(schema: JsonSchema): boolean {
  if (typesOf(schema).includes('null') || schema['const'] === null) return true;
  return schemaList(schema['anyOf'] ?? schema['oneOf']).some(acceptsNull);
}

const PRIMITIVES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean']);

/** The schema or null: a type list for primitives, else a union with null. */
function nullable(schema: JsonSchema): JsonSchema {
  if (acceptsNull(schema)) return schema;
  const { type } = schema;
  if (typeof type === 'string' && PRIMITIVES.has(type) && !('enum' in schema) && !('const' in schema)) {
    return { ...schema, type: [type, 'null'] };
  }
  if (Array.isArray(schema['anyOf']))
    return { ...schema, anyOf: [...schemaList(schema['anyOf']), { type: 'null' }] };
  const { description, ...rest } = schema;
  return { anyOf: [rest, { type: 'null' }], ...(description !== undefined ? { description } : {}) };
}

/** "(at least 1, at most 60000)" from the constraints strict mode may refuse. */
function notes(schema: JsonSchema): string {
  const said = DESCRIBED.filter(([key]) => key in schema)
    .filter(([key]) => !(key === 'minimum' || key === 'maximum') || !isSafeIntegerBound(schema[key]))
    .map(([key, say]) => say(schema[key]));
  return said.length > 0 ? `(${said.join(', ')})` : '';
}

const isSafeIntegerBound = (value: unknown): boolean =>
  value === Number.MAX_SAFE_INTEGER || value === Number.MIN_SAFE_INTEGER;

function describe(...parts: Array<unknown>): string | undefined {
  const text = parts.filter((part): part is string => typeof part === 'string' && part !== '').join(' ');
  return text === '' ? undefined : text;
}

/** One schema under strict mode's rules (see the file comment). */
export function toStrictSchema(schema: JsonSchema): JsonSchema {
  if (isFreeForm(schema)) {
    const description = describe(schema['description'], notes(schema), '(JSON text, e.g. {"key": "value"})');
    return { type: 'string', ...(description ? { description } : {}) };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!STRICT_KEYWORDS.has(key) || key === 'description' || key === 'required') continue;
    if (key === 'properties' || key === 'additionalProperties') continue;
    if (key === 'items' && isObject(value)) out['items'] = toStrictSchema(value);
    else if (key === 'anyOf') out['anyOf'] = schemaList(value).map(toStrictSchema);
    else if (key === '$defs' && isObject(value)) out['$defs'] = mapValues(value, toStrictSchema);
    else out[key] = value;
  }
  if (Array.isArray(schema['oneOf'])) out['anyOf'] = schemaList(schema['oneOf']).map(toStrictSchema);
  if (isObject(schema['properties'])) {
    const required = new Set(Array.isArray(schema['required']) ? schema['required'] : []);
    out['properties'] = mapValues(schema['properties'], (property, key) =>
      required.has(key) ? toStrictSchema(property) : nullable(toStrictSchema(property)),
    );
    out['required'] = Object.keys(schema['properties']);
    out['additionalProperties'] = false;
  }
  const description = describe(schema['description'], notes(schema));
  if (description !== undefined) out['description'] = description;
  return out;
}

function mapValues(
  record: Record<string, unknown>,
  map: (schema: JsonSchema, key: string) => JsonSchema,
): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key, map(isObject(value) ? value : {}, key)]),
  );
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The branch of a union that `value` has the shape of (type, and for objects, its keys). */
function branchFor(value: unknown, branches: JsonSchema[]): JsonSchema | undefined {
  const type = jsonType(value);
  return branches.find((branch) => {
    const types = typesOf(branch);
    const fits =
      types.length === 0 || types.includes(type) || (type === 'integer' && types.includes('number'));
    if (!fits || !isObject(value)) return fits && !isFreeForm(branch);
    const properties = branch['properties'];
    return isObject(properties) && Object.keys(value).every((key) => key in properties);
  });
}

/**
 * A model's arguments for a strict tool, put back into the shape of the tool's own JSON Schema (`original`,
 * before toStrictSchema): null for an optional field that does not take null means "left out", and JSON
 * text stands for a free-form value. Validation stays the registry's job.
 */
export function decodeStrictArguments(value: unknown, original: JsonSchema): unknown {
  if (isFreeForm(original)) {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) {
    const items = original['items'];
    return isObject(items) ? value.map((item) => decodeStrictArguments(item, items)) : value;
  }
  const branches = schemaList(original['anyOf'] ?? original['oneOf']);
  if (branches.length > 0) {
    const branch = branchFor(value, branches);
    return branch ? decodeStrictArguments(value, branch) : value;
  }
  const properties = original['properties'];
  if (!isObject(value) || !isObject(properties)) return value;
  const required = new Set(Array.isArray(original['required']) ? original['required'] : []);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key];
    if (!isObject(property)) out[key] = item;
    else if (item === null && !required.has(key) && !acceptsNull(property)) continue;
    else out[key] = decodeStrictArguments(item, property);
  }
  return out;
}
