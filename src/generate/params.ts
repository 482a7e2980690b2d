/**
 * Template parameters: how a template declares them (`params` in its `<name>.json`), the zod schema built
 * from that declaration at load time, and how a command-line value (`--param key=value`) becomes a typed one.
 */
import { z } from 'zod';
import { InvalidOptionsError } from '../errors.js';

export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'string[]', 'number[]'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const ParamSpecSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an identifier: letters, digits and _, not starting with a digit')
      .refine((name) => !(name in Object.prototype), 'a name every object already has (like toString)')
      .describe('Parameter name, as the template refers to it'),
    type: z.enum(PARAM_TYPES).describe('Value type; lists are string[] or number[]'),
    description: z.string().min(1).describe('What the parameter means, shown by `scriptbox templates show`'),
    default: z.unknown().optional().describe('Value used when the parameter is not given'),
    required: z.boolean().optional().describe('True when the parameter must be given (then no default)'),
    enum: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Allowed values of a string (or of each item of a string[])'),
    min: z.number().optional().describe('Smallest allowed number (each item of a number[])'),
    max: z.number().optional().describe('Largest allowed number (each item of a number[])'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const numeric = spec.type === 'number' || spec.type === 'integer' || spec.type === 'number[]';
    if (spec.enum && spec.type !== 'string' && spec.type !== 'string[]') {
      ctx.addIssue({ code: 'custom', path: ['enum'], message: 'enum is for string and string[] only' });
    }
    if ((spec.min !== undefined || spec.max !== undefined) && !numeric) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min and max are for numeric types only' });
    }
    if (spec.required === true && spec.default !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'a required parameter has no default' });
    }
  });
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

export interface ParamSchemaOpts {
  /** Refuse strings bash cannot hold (NUL, lone surrogates) at validation rather than at render. */
  bashStrings: boolean;
}

function stringSchema(spec: ParamSpec, opts: ParamSchemaOpts): z.ZodType<string> {
  const base = spec.enum ? z.enum(spec.enum as [string, ...string[]]) : z.string();
  if (!opts.bashStrings) return base;
  return base.refine((text) => !/[\0\uD800-\uDFFF]/u.test(text), {
    message: 'a bash script cannot hold a NUL character or a lone surrogate',
  });
}

function numberSchema(spec: ParamSpec, integer: boolean): z.ZodNumber {
  let schema = integer ? z.number().int() : z.number();
  if (spec.min !== undefined) schema = schema.min(spec.min);
  if (spec.max !== undefined) schema = schema.max(spec.max);
  return schema;
}

/** The schema of one value of this parameter, without default or optionality. */
function valueSchema(spec: ParamSpec, opts: ParamSchemaOpts): z.ZodType {
  switch (spec.type) {
    case 'string':
      return stringSchema(spec, opts);
    case 'number':
    case 'integer':
      return numberSchema(spec, spec.type === 'integer');
    case 'boolean':
      return z.boolean();
    case 'string[]':
      return z.array(stringSchema(spec, opts));
    case 'number[]':
      return z.array(numberSchema(spec, false));
  }
}

/** The schema of one parameter: required, defaulted, or null when left out. */
export function paramSchema(spec: ParamSpec, opts: ParamSchemaOpts): z.ZodType {
  const schema = valueSchema(spec, opts).describe(spec.description);
  if (spec.required === true) return schema;
  if (spec.default !== undefined) return schema.default(spec.default);
  return schema.nullable().default(null);
}

/** An object schema over every parameter; unknown names are refused. */
export function paramsSchema(specs: ParamSpec[], opts: ParamSchemaOpts): z.ZodType<Record<string, unknown>> {
  const shape = Object.fromEntries(specs.map((spec) => [spec.name, paramSchema(spec, opts)]));
  return z.strictObject(shape);
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
const BOOLEANS: Record<string, boolean> = {
  true: true,
  yes: true,
  '1': true,
  false: false,
  no: false,
  '0': false,
};

function badValue(spec: ParamSpec, text: string, expected: string): InvalidOptionsError {
  const issue = `${spec.name}: expected ${expected}, got ${JSON.stringify(text)}`;
  return new InvalidOptionsError(`invalid parameter ${issue}`, [issue]);
}

function parseNumber(spec: ParamSpec, text: string, integer: boolean): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (integer && (!INTEGER.test(trimmed) || !Number.isSafeInteger(value))) {
    throw badValue(spec, text, 'a whole number, like 42');
  }
  if (!NUMBER.test(trimmed) || !Number.isFinite(value)) throw badValue(spec, text, 'a number, like 0.25');
  return value;
}

/** `a,b,c` (items trimmed; empty text is an empty list) or a JSON array when the text starts with `[`. */
function parseList(spec: ParamSpec, text: string, itemType: 'string' | 'number'): unknown[] {
  const expected = `a comma-separated list of ${itemType}s or a JSON array, like ${itemType === 'string' ? 'a,b or ["a,1","b"]' : '1,2.5'}`;
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw badValue(spec, text, expected);
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === itemType)) {
      throw badValue(spec, text, expected);
    }
    return parsed;
  }
  if (text.trim() === '') return [];
  const items = text.split(',').map((item) => item.trim());
  return itemType === 'string' ? items : items.map((item) => parseNumber(spec, item, false));
}

/** Turns a command-line value into this parameter's type; bad text throws naming the parameter. */
export function parseParamText(spec: ParamSpec, text: string): unknown {
  switch (spec.type) {
    case 'string':
      return text;
    case 'number':
    case 'integer':
      return parseNumber(spec, text, spec.type === 'integer');
    case 'boolean': {
      const value = BOOLEANS[text.trim().toLowerCase()];
      if (value === undefined) throw badValue(spec, text, 'true or false');
      return value;
    }
    case 'string[]':
      return parseList(spec, text, 'string');
    case 'number[]':
      return parseList(spec, text, 'number');
  }
}
