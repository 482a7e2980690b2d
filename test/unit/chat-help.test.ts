/**
 * The examples the chat suggests for a loaded table: built from its own columns, accepted by the
 * analysis, and understood by the parser as that analysis with those columns.
 */
import { describe, expect, test } from 'vitest';
import { datasetExample, helpReplies } from '../../src/workflows/chat/help.js';
import { parseIntent } from '../../src/workflows/chat/intent.js';
import { ANALYSES } from '../../src/workflows/analysis/analyses/index.js';
import type { Table } from '../../src/workflows/analysis/table.js';
import { DATASETS, housing } from '../integration/analysis/datasets.js';

const cases = Object.entries(DATASETS).flatMap(([table, make]) =>
  ANALYSES.map((spec) => [table, spec.name, make] as const),
);

describe('examples with the loaded columns', () => {
  test.each(cases)('%s: %s', (_, name, make) => {
    const table: Table = make();
    const spec = ANALYSES.find((analysis) => analysis.name === name);
    if (!spec) throw new Error(`no analysis ${name}`);
    const example = datasetExample(spec, table);
    if (example === null) throw new Error(`no example of ${name}`);
    const columns = table.columns.map((column) => column.name);
    const intent = parseIntent(example, { analyses: ANALYSES, columns });
    if (intent.kind !== 'analysis') throw new Error(`${example} parsed as ${intent.kind}`);
    expect(intent).toMatchObject({ analysis: name, unknown: [] });
    expect(() => spec.paramsFromColumns(intent.columns, table)).not.toThrow();
  });

  test('a classifier is suggested for a text column, the others with two numeric columns', () => {
    const examples = ANALYSES.map((spec) => datasetExample(spec, housing()));
    expect(examples).toContain('/script train_classifier district');
    expect(examples).toContain('/script correlation area rooms');
  });

  test('no example groups by or predicts an id, a row counter or a key with a value per row', () => {
    const rows = 40;
    const table: Table = {
      rowCount: rows,
      columns: [
        { name: 'row', type: 'integer', values: Array.from({ length: rows }, (_, i) => i + 1), missing: 0 },
        {
          name: 'customer_id',
          type: 'text',
          values: Array.from({ length: rows }, (_, i) => `C${1000 + i}`),
          missing: 0,
        },
        {
          name: 'email',
          type: 'text',
          values: Array.from({ length: rows }, (_, i) => `u${i}@example.com`),
          missing: 0,
        },
        { name: 'ID', type: 'integer', values: Array.from({ length: rows }, (_, i) => 7 * i), missing: 0 },
        {
          name: 'region',
          type: 'text',
          values: Array.from({ length: rows }, (_, i) => ['north', 'south', 'east'][i % 3] ?? ''),
          missing: 0,
        },
        {
          name: 'age',
          type: 'integer',
          values: Array.from({ length: rows }, (_, i) => 18 + ((7 * i) % 50)),
          missing: 0,
        },
        {
          name: 'income',
          type: 'number',
          values: Array.from({ length: rows }, (_, i) => 1000.5 * i),
          missing: 0,
        },
      ],
    };
    const examples = ANALYSES.map((spec) => datasetExample(spec, table));
    for (const example of examples) expect(example ?? '').not.toMatch(/\b(row|customer_id|email|ID)\b/);
    expect(examples).toContain('/script group_summary region');
    expect(examples).toContain('/script train_classifier region');
    expect(examples).toContain('/script boxplot age income');
    expect(examples).toContain('/script correlation age income');
  });

  test('names with spaces are quoted in examples', () => {
    const table: Table = {
      rowCount: 3,
      columns: [
        { name: 'floor area', type: 'number', values: [1, 2, 3], missing: 0 },
        { name: 'price', type: 'number', values: [3, 1, 2], missing: 0 },
      ],
    };
    const spec = ANALYSES.find((analysis) => analysis.name === 'correlation');
    expect(spec && datasetExample(spec, table)).toBe('/script correlation "floor area" price');
  });

  test('help lists every analysis, natural examples, and how to enable the LLM when none is set', () => {
    const [reply] = helpReplies({ analyses: ANALYSES, hasLlm: false, hasLibrary: true, table: null });
    const text = reply?.kind === 'text' ? reply.text : '';
    for (const spec of ANALYSES) expect(text).toContain(spec.name);
    expect(text).toMatch(/Or ask in words, e\.g\. "[^"]+", "[^"]+", "[^"]+"\./);
    expect(text).toMatch(/Free-form code needs an LLM: set SCRIPTBOX_LLM_BASE_URL/);
    expect(text).toMatch(/"run code <name>"/);
    const [withLlm] = helpReplies({ analyses: ANALYSES, hasLlm: true, hasLibrary: false, table: housing() });
    const llmText = withLlm?.kind === 'text' ? withLlm.text : '';
    expect(llmText).toMatch(/written as a script by the LLM; you see it and say yes before it runs/);
    expect(llmText).not.toMatch(/run code/);
    expect(llmText).toMatch(/Try, with your data:\n {2}\/script descriptive area rooms/);
  });
});
