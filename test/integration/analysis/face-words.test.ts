/**
 * An analysis given columns that do not fit says so with an example in the words of the face it was
 * asked on: the chat's `/script …`, the CLI's `scriptbox analyze <file> …`, the analyze_table tool's
 * arguments; the library API keeps the example as data (`data.example`) and names no face's syntax.
 * (The CLI's own words are tested end to end in cli-analyze.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InvalidOptionsError } from '../../../src/errors.js';
import { createTemplateRegistry } from '../../../src/generate/registry.js';
import { createEngine, type Engine } from '../../../src/index.js';
import { analysisTools } from '../../../src/tools/builtin-analysis.js';
import type { BuiltinToolDeps } from '../../../src/tools/builtin-deps.js';
import { ANALYSES, findAnalysis } from '../../../src/workflows/analysis/analyses/index.js';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
import { exampleOf } from '../../../src/workflows/analysis/usage-example.js';
import { createChatEngine } from '../../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../../src/workflows/chat/types.js';
import { allText, HOUSING_CSV, say, send } from '../chat-harness.js';
import type { Table } from '../../../src/workflows/analysis/table.js';
import { flowers, housing } from './datasets.js';

/** Column lists each analysis refuses with an example of how to call it, and a table its example fits. */
const MISTAKES: [string, string[], () => Table][] = [
  ['scatter', ['price'], housing],
  ['regression', [], housing],
  ['group_summary', [], housing],
  ['boxplot', ['district'], housing],
  ['train_classifier', [], flowers],
];

function thrownBy(analysis: string, columns: string[]): InvalidOptionsError {
  try {
    findAnalysis(analysis)?.paramsFromColumns(columns, housing());
  } catch (err) {
    if (err instanceof InvalidOptionsError) return err;
    throw err;
  }
  throw new Error(`${analysis} accepted ${columns.join(' ')}`);
}

describe('the library API: the example is data, the message names no face', () => {
  test.each(MISTAKES)('%s %j', (analysis, columns, fits) => {
    const err = thrownBy(analysis, columns);
    expect(err.message).not.toMatch(/\/script|scriptbox analyze|e\.g\./);
    expect(exampleOf(err)).toMatchObject({ analysis });
    // The example itself is accepted (with placeholders filled in from the table).
    const example = exampleOf(err);
    const filled = (example?.columns ?? []).map((column) => (column === '<column>' ? 'price' : column));
    expect(() => findAnalysis(analysis)?.paramsFromColumns(filled, fits())).not.toThrow();
  });

  test('no analysis mentions a face in a refusal about its data', () => {
    for (const spec of ANALYSES) {
      let message = '';
      try {
        spec.paramsFromColumns(['price'], housing());
        spec.paramsFromColumns(['district', 'area', 'price', 'rooms', 'year_built'], housing());
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, spec.name).not.toMatch(/\/script|scriptbox/);
    }
  });
});

describe('each face says the example in its own words', () => {
  let engine: Engine;
  let chat: ChatEngine;
  beforeAll(async () => {
    engine = await createEngine({ pool: { size: 0 } });
    chat = createChatEngine({ engine, registry: createTemplateRegistry() });
    await send(chat, 'words', 'housing.csv', HOUSING_CSV);
  });
  afterAll(async () => {
    await chat?.close();
    await engine?.close();
  });

  test('the chat: /script', async () => {
    const { replies } = await say(chat, 'words', '/script scatter price');
    expect(allText(replies)).toMatch(
      /^got 1 column; a scatter plot takes two numeric columns and an optional category, e\.g\. \/script scatter area price district\n/,
    );
  });

  test('the analyze_table tool: its arguments', async () => {
    // The tool uses only the engine of its dependencies.
    const [tool] = analysisTools({ engine } as BuiltinToolDeps, createTemplateRegistry());
    const call = tool?.prepare({
      table: { name: 'flats.csv', content: tableToCsv(housing()) },
      analysis: 'boxplot',
      columns: ['district'],
    });
    const refused = call?.run({ signal: new AbortController().signal });
    await expect(refused).rejects.toThrow(
      /^name a numeric column to plot before the category, e\.g\. analysis "boxplot" with columns \["<column>","district"\]$/,
    );
    await expect(refused).rejects.not.toThrow(/\/script|scriptbox analyze/);
  });
});
