/**
 * Two Telegram users at once: each is a conversation of its own, with its own dataset and session, and
 * each gets only their own answers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tableToCsv } from '../../../src/workflows/analysis/canonical-csv.js';
import { flowers, housing } from '../analysis/datasets.js';
import { message, startRig, tableIn, USAGE_LINE, type BotRig } from './bot-harness.js';

const alice = { id: 6001, first_name: 'Alice' };
const bob = { id: 6002, first_name: 'Bob' };

let rig: BotRig;

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.close();
});

describe('two users', () => {
  test('get separate datasets and sessions', { timeout: 180_000 }, async () => {
    const { fake } = rig;
    const after = fake.mark();
    fake.sendUserDocument(alice, 'flats.csv', Buffer.from(tableToCsv(housing())));
    fake.sendUserDocument(bob, 'flowers.csv', Buffer.from(tableToCsv(flowers())));
    fake.sendUserMessage(alice, '/script descriptive');
    fake.sendUserMessage(bob, '/script descriptive');
    const done = (user: { id: number }) =>
      fake.waitForBotMessages((r) => r.chat_id === user.id && message(USAGE_LINE)(r), { after });
    const [forAlice, forBob] = await Promise.all([done(alice), done(bob)]);
    const own = (records: typeof forAlice, user: { id: number }) =>
      records.filter((r) => r.chat_id === user.id);

    const aliceColumns = tableIn(own(forAlice, alice), 'Numeric columns').rows.map((row) => row[0]);
    const bobColumns = tableIn(own(forBob, bob), 'Numeric columns').rows.map((row) => row[0]);
    expect(aliceColumns).toEqual(['area', 'rooms', 'price', 'year_built']);
    expect(bobColumns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);

    // Each chat saw only its own file's name.
    const texts = (user: { id: number }) =>
      fake.sent
        .filter((r) => r.chat_id === user.id)
        .map((r) => r.text ?? '')
        .join('\n');
    expect(texts(alice)).toContain('flats.csv');
    expect(texts(alice)).not.toContain('flowers.csv');
    expect(texts(bob)).toContain('flowers.csv');
    expect(texts(bob)).not.toContain('flats.csv');
    expect(fake.refusedCalls()).toEqual([]);
  });
});
