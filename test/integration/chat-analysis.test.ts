/**
 * A conversation with the chat engine, in the real sandbox: a CSV upload and its preview, `/script
 * descriptive`, a correlation asked in words, a classifier on another table, follow-ups that reuse the
 * dataset (a chart, the script on request), and the answers to mistakes (no data yet, a column that does
 * not exist or is not numeric, a malformed file). Every analysis shown must equal the direct engine's
 * result as the analysis presents it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createChatEngine } from '../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../src/workflows/chat/types.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { readDataset } from '../../src/workflows/analysis/dataset.js';
import {
  allText,
  blocks,
  documents,
  expectAnalysisReplies,
  expectedAnalysis,
  FLOWERS_CSV,
  HOUSING_CSV,
  images,
  say,
  send,
} from './chat-harness.js';

const registry = createTemplateRegistry();
let engine: Engine;
let chat: ChatEngine;

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  chat = createChatEngine({ engine, registry });
});
afterAll(async () => {
  await chat?.close();
  await engine?.close();
});

describe('one conversation, start to finish', () => {
  const me = 'analyst';

  test('before any data, an analysis asks for a CSV first', async () => {
    const { replies } = await say(chat, me, '/script descriptive');
    expect(allText(replies)).toMatch(/^Send a CSV first/);
    expect(images(replies)).toEqual([]);
  });

  test('the upload is read and previewed: size, one line per column, first rows, examples', async () => {
    const { replies, progress } = await send(chat, me, 'housing.csv', HOUSING_CSV);
    expect(progress).toEqual([{ stage: 'reading', text: 'reading housing.csv' }]);
    const [size, columns, first] = blocks(replies);
    expect(size).toEqual({ kind: 'text', text: 'housing.csv: 120 rows × 6 columns' });
    expect(columns).toMatchObject({ kind: 'table', title: 'Columns' });
    const { table } = await readDataset('housing.csv', HOUSING_CSV);
    expect(columns?.kind === 'table' ? columns.rows.map((row) => row.slice(0, 3)) : []).toEqual(
      table.columns.map((column) => [column.name, column.type, String(column.missing)]),
    );
    expect(first).toMatchObject({ kind: 'table', title: 'First 5 rows' });
    // The examples use this table's own columns.
    expect(allText(replies)).toMatch(/\/script \w+ area rooms/);
  });

  test('/script descriptive runs the template and shows what the direct engine computes', async () => {
    const { replies, progress } = await say(chat, me, '/script descriptive');
    const expected = await expectedAnalysis(registry, 'descriptive', [], 'housing.csv', HOUSING_CSV);
    expectAnalysisReplies(replies, expected, 0);
    expect(progress.map((p) => p.stage)).toEqual(['generating', 'running']);
  });

  test('a correlation asked in words, columns named in any case', async () => {
    const { replies } = await say(chat, me, 'What is the correlation between PRICE and area?');
    const expected = await expectedAnalysis(
      registry,
      'correlation',
      ['price', 'area'],
      'housing.csv',
      HOUSING_CSV,
    );
    expectAnalysisReplies(replies, expected, 0);
  });

  test('a follow-up chart reuses the dataset: the histogram as a PNG, with its bins', async () => {
    const { replies, progress } = await say(chat, me, 'histogram of price');
    const expected = await expectedAnalysis(registry, 'histogram', ['price'], 'housing.csv', HOUSING_CSV);
    expectAnalysisReplies(replies, expected, 1);
    expect(images(replies)[0]).toMatchObject({
      name: 'histogram_price.png',
      caption: 'histogram · housing.csv',
    });
    expect(progress.map((p) => p.stage)).toEqual(['generating', 'running', 'charting']);
  });

  test("the next analysis does not send the last one's chart again", async () => {
    const { replies } = await say(chat, me, '/script correlation area rooms');
    const expected = await expectedAnalysis(
      registry,
      'correlation',
      ['area', 'rooms'],
      'housing.csv',
      HOUSING_CSV,
    );
    expectAnalysisReplies(replies, expected, 0);
  });

  test('"show the script" sends the last script as a document, exactly as the template renders it', async () => {
    const { replies } = await say(chat, me, 'show the script');
    const expected = await expectedAnalysis(
      registry,
      'correlation',
      ['area', 'rooms'],
      'housing.csv',
      HOUSING_CSV,
    );
    const [document] = documents(replies);
    expect(document?.name).toBe(expected.fileName);
    expect(Buffer.from(document?.bytes ?? []).toString('utf8')).toBe(expected.source);
    const preview = blocks(replies)[0];
    expect(preview?.kind === 'text' ? preview.text : '').toBe(
      `${expected.source.split('\n').slice(0, 12).join('\n')}\n… (${expected.source.split('\n').length - 13} more lines)`,
    );
  });

  test('a column that does not exist: the answer lists the columns there are', async () => {
    const { replies } = await say(chat, me, '/script correlation price "floor area"');
    const { table } = await readDataset('housing.csv', HOUSING_CSV);
    const listed = table.columns.map((column) => `${column.name} (${column.type})`).join(', ');
    expect(allText(replies)).toBe(
      `"floor area" is no column of housing.csv.\nColumns of housing.csv: ${listed}. ` +
        'Numeric: area, rooms, price, year_built.',
    );
  });

  test('a text column where a number is needed: the answer says which columns are numeric', async () => {
    const { replies } = await say(chat, me, '/script histogram district');
    const text = allText(replies);
    expect(text).toMatch(/district/);
    expect(text).toMatch(/Numeric: area, rooms, price, year_built\.$/);
    expect(images(replies)).toEqual([]);
  });

  test('an analysis that does not exist: the list of those that do', async () => {
    const { replies } = await say(chat, me, '/script anova price');
    expect(allText(replies)).toMatch(/^There is no analysis "anova"\./);
    const table = blocks(replies).find((block) => block.kind === 'table');
    expect(table?.kind === 'table' ? table.rows.map((row) => row[0]) : []).toContain('descriptive');
  });

  test('a malformed CSV is answered with what is wrong, and the earlier data stays loaded', async () => {
    const ragged = Buffer.from('a,b,c\n1,2,3\n4,5\n6,7,8\n');
    const { replies } = await send(chat, me, 'ragged.csv', ragged);
    expect(allText(replies)).toMatch(
      /^I could not read ragged\.csv: .*line 3.*I kept your earlier data \(housing\.csv\)\.$/s,
    );
    const { replies: after } = await say(chat, me, '/preview');
    expect(blocks(after)[0]).toEqual({ kind: 'text', text: 'housing.csv: 120 rows × 6 columns' });
  });

  test('an empty file says so', async () => {
    const { replies } = await send(chat, me, 'empty.csv', new Uint8Array());
    expect(allText(replies)).toMatch(/^I could not read empty\.csv: .*empty/);
  });

  test('a new table replaces the old one; a classifier on it, asked in words', async () => {
    await send(chat, me, 'iris.csv', FLOWERS_CSV);
    const { replies } = await say(chat, me, 'train a classifier to predict species');
    const expected = await expectedAnalysis(
      registry,
      'train_classifier',
      ['species'],
      'iris.csv',
      FLOWERS_CSV,
    );
    expectAnalysisReplies(replies, expected, 0);
  });

  test('a follow-up on the new table, and a column of the old one is no longer there', async () => {
    const { replies } = await say(chat, me, 'box plot of petal_length by species');
    const expected = await expectedAnalysis(
      registry,
      'boxplot',
      ['petal_length', 'species'],
      'iris.csv',
      FLOWERS_CSV,
    );
    expectAnalysisReplies(replies, expected, 1);
    const { replies: old } = await say(chat, me, '/script histogram price');
    expect(allText(old)).toMatch(/^"price" is no column of iris\.csv\./);
  });

  test('a file with a caption: the caption is handled as a message after the upload', async () => {
    const replies = await chat.handle(me, {
      kind: 'file',
      name: 'housing.csv',
      bytes: HOUSING_CSV,
      caption: '/script histogram area',
    });
    const expected = await expectedAnalysis(registry, 'histogram', ['area'], 'housing.csv', HOUSING_CSV);
    expect(images(replies).map((image) => image.name)).toEqual(['histogram_area.png']);
    expect(blocks(replies).slice(-1 - expected.blocks.length, -1)).toEqual(expected.blocks);
  });

  test('an unknown request lists what is possible, with examples from the loaded columns', async () => {
    const { replies } = await say(chat, me, 'make me a sandwich');
    const text = allText(replies);
    expect(text).toMatch(/^I did not understand that\./);
    expect(text).toMatch(/Free-form code needs an LLM: set SCRIPTBOX_LLM_BASE_URL/);
    expect(text).toMatch(/Try, with your data:\n {2}\/script \w+ area rooms/);
  });
});
