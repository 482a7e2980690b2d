/**
 * A whole Telegram conversation with the real bot, chat engine and sandbox against the fake Bot API
 * server: /start, a CSV upload and its preview, `/script descriptive`, a correlation asked in words, a
 * chart, the script on request, a confirmation declined, a malformed CSV, a file over Telegram's limit,
 * a photo, and a classifier on another table. The numbers the messages show are checked against values
 * computed here, and the fake server refuses what Telegram would (bad HTML, overlong messages).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOT_COMMANDS } from '../../../src/faces/telegram/help.js';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
import { readDataset } from '../../../src/workflows/analysis/dataset.js';
import { formatNumber } from '../../../src/workflows/analysis/format.js';
import type { NumericColumn } from '../../../src/workflows/analysis/table.js';
import { flowers, housing } from '../analysis/datasets.js';
import {
  message,
  messages,
  say,
  startRig,
  statusTexts,
  tableIn,
  upload,
  USAGE_LINE,
  type BotRig,
} from './bot-harness.js';

const alice = { id: 5001, first_name: 'Alice', username: 'alice_analyst' };
const FLATS_CSV = Buffer.from(tableToCsv(housing()));
const FLOWERS_CSV = Buffer.from(tableToCsv(flowers()));
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SLOW = 180_000;

let rig: BotRig;

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.close();
});

function numbers(name: string): (number | null)[] {
  const column = housing().columns.find((c) => c.name === name) as NumericColumn;
  return column.values;
}

function pearson(xs: (number | null)[], ys: (number | null)[]): number {
  const pairs = xs.flatMap((x, i) => {
    const y = ys[i];
    return x === null || y === null || y === undefined ? [] : [[x, y] as const];
  });
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const mx = mean(pairs.map(([x]) => x));
  const my = mean(pairs.map(([, y]) => y));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('a Telegram conversation', () => {
  test('/start answers what the bot does and how to send a file; the command menu is set', async () => {
    const sent = await say(rig, alice, '/start', message(/On Telegram: send your table/));
    const [text] = messages(sent).slice(-1);
    expect(text).toMatch(/^Hi! I run data analyses/);
    expect(text).toContain('up to 21 MB (the most Telegram lets bots download)');
    expect(rig.fake.commands).toEqual(BOT_COMMANDS);
  });

  test(
    'a CSV upload is downloaded and previewed: columns, types, missing values',
    async () => {
      const sent = await upload(rig, alice, 'flats.csv', FLATS_CSV, message(/\/script lists/));
      expect(messages(sent).join('\n')).toContain('flats.csv: 120 rows × 6 columns');
      const { table } = await readDataset('flats.csv', FLATS_CSV);
      expect(tableIn(sent, 'Columns').rows.map((row) => row.slice(0, 3))).toEqual(
        table.columns.map((column) => [column.name, column.type, String(column.missing)]),
      );
      expect(rig.fake.calls.filter((call) => call.method === 'getFile')).toHaveLength(1);
      expect(statusTexts(sent).at(-1)).toBe('✅ Reading flats.csv: done');
    },
    SLOW,
  );

  test(
    '/script descriptive answers a table with the right columns and counts, with progress on the way',
    async () => {
      const sent = await say(rig, alice, '/script descriptive', message(USAGE_LINE));
      const { columns, rows } = tableIn(sent, 'Numeric columns');
      expect(columns.slice(0, 6)).toEqual(['column', 'count', 'missing', 'mean', 'std', 'min']);
      expect(columns.at(-1)).toBe('max');
      const price = rows.find((row) => row[0] === 'price');
      const prices = numbers('price').filter((value): value is number => value !== null);
      expect(price?.slice(1, 4)).toEqual([
        String(prices.length),
        String(120 - prices.length),
        formatNumber(prices.reduce((a, b) => a + b, 0) / prices.length),
      ]);
      expect(sent.filter((r) => r.method === 'sendChatAction').map((r) => r.action)).toContain('typing');
      expect(statusTexts(sent).at(-1)).toBe('✅ Running descriptive on flats.csv: done');
    },
    SLOW,
  );

  test(
    'a correlation asked in words shows the Pearson r computed here',
    async () => {
      const sent = await say(rig, alice, 'correlation between price and area', message(USAGE_LINE));
      const { columns, rows } = tableIn(sent, 'Pairs, strongest first');
      expect(columns).toEqual(['x', 'y', 'r', 'p', 'n']);
      const pair = rows.find((row) => [row[0], row[1]].sort().join() === 'area,price');
      expect(pair?.[2]).toBe(formatNumber(pearson(numbers('price'), numbers('area'))));
    },
    SLOW,
  );

  test(
    'a chart comes as a photo holding a real PNG',
    async () => {
      const sent = await say(rig, alice, '/script histogram price', message(USAGE_LINE));
      const photos = sent.filter((r) => r.method === 'sendPhoto');
      expect(photos).toHaveLength(1);
      const png = photos[0]?.file?.bytes ?? Buffer.alloc(0);
      expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
      expect(png.readUInt32BE(16)).toBeGreaterThan(100); // width from the IHDR chunk
      expect(sent.filter((r) => r.method === 'sendChatAction').map((r) => r.action)).toContain(
        'upload_photo',
      );
    },
    SLOW,
  );

  test('the script behind the last result comes as a document on request', async () => {
    const sent = await say(rig, alice, 'show the script', (r) => r.method === 'sendDocument');
    const document = sent.at(-1);
    expect(document?.file?.name).toMatch(/^histogram.*\.py$/);
    expect(document?.file?.bytes.toString()).toContain('import matplotlib');
  });

  test('a confirmation declined cancels: the script stays in the library', async () => {
    const saved = rig.library.save({
      category: 'stats',
      task: 'demo',
      language: 'python',
      source: 'print("hello")\n',
      description: 'a demo script',
      who: 'test',
    });
    const asked = await say(rig, alice, `delete code ${saved.name}`, message(/Reply yes to delete/));
    expect(messages(asked).join('\n')).toContain(`Reply yes to delete ${saved.name}`);
    const answered = await say(rig, alice, 'no', message(/^Cancelled: did not delete/));
    expect(messages(answered).at(-1)).toContain(saved.name);
    expect(rig.library.get(saved.name).name).toBe(saved.name);
  });

  test('a malformed CSV is answered with the line to fix, and the earlier data is kept', async () => {
    const ragged = Buffer.from('price,area\n100,20\n200\n300,40\n');
    const sent = await upload(rig, alice, 'ragged.csv', ragged, message(/I could not read ragged\.csv/));
    const text = messages(sent).at(-1) ?? '';
    expect(text).toMatch(/line 3 has 1 field, the header has 2/);
    expect(text).toContain('I kept your earlier data (flats.csv)');
  });

  test('a file over 20 MB is refused before getFile, saying what to send instead', async () => {
    const getFiles = rig.fake.calls.filter((call) => call.method === 'getFile').length;
    const big = Buffer.alloc(21 * 1024 * 1024, 'a');
    const sent = await upload(
      rig,
      alice,
      'huge.csv',
      big,
      message(/Telegram lets bots download at most 21 MB/),
    );
    expect(messages(sent).at(-1)).toMatch(
      /^That file is 22 MB; .*CSV \(\.csv\), TSV \(\.tsv\) or Excel \(\.xlsx\)/,
    );
    expect(rig.fake.calls.filter((call) => call.method === 'getFile')).toHaveLength(getFiles);
  });

  test('a photo is answered with how to send data', async () => {
    const after = rig.fake.mark();
    rig.fake.sendUserPhoto(alice, PNG_MAGIC);
    const sent = await rig.fake.waitForBotMessages(message(/^I read tables, not pictures/), { after });
    expect(messages(sent)).toHaveLength(1);
  });

  test(
    'a classifier on an iris-like table answers its held-out accuracy',
    async () => {
      await upload(rig, alice, 'flowers.csv', FLOWERS_CSV, message(/\/script lists/));
      const sent = await say(rig, alice, 'train a classifier to predict species', message(USAGE_LINE));
      const summary = messages(sent).join('\n');
      const accuracy = /predicting species from [\w, ]+: accuracy ([\d.]+) on (\d+) held-out rows/.exec(
        summary,
      );
      expect(accuracy, summary).not.toBeNull();
      expect(Number(accuracy?.[1])).toBeGreaterThan(0.6);
      expect(Number(accuracy?.[1])).toBeLessThanOrEqual(1);
      expect(Number(accuracy?.[2])).toBeGreaterThan(0);
      expect(tableIn(sent, 'Confusion matrix (rows: actual class, columns: predicted)').columns).toEqual([
        'actual',
        'setosa',
        'versicolor',
        'virginica',
      ]);
    },
    SLOW,
  );

  test('Telegram refused nothing, and the log holds no error and never the token', () => {
    expect(rig.fake.refusedCalls()).toEqual([]);
    const log = rig.logLines.join('\n');
    expect(log).not.toContain(rig.fake.token.split(':')[1]);
    expect(rig.logLines.filter((line) => /"level":"error"/.test(line))).toEqual([]);
  });
});
