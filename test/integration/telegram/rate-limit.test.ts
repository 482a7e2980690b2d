/**
 * Per-user rate limits through the real bot: past the limit a user is told once when to try again and
 * the rest of their messages are dropped unanswered, while another user is served as usual.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { message, messages, startRig, type BotRig } from './bot-harness.js';

const carol = { id: 7001, first_name: 'Carol' };
const dave = { id: 7002, first_name: 'Dave' };

let rig: BotRig;

beforeAll(async () => {
  rig = await startRig({ perUserPerMinute: 2 });
});

afterAll(async () => {
  await rig?.close();
});

describe('rate limits', () => {
  test('a flood gets one notice, and only the admitted messages are answered', async () => {
    const { fake, bot } = rig;
    for (let i = 0; i < 5; i += 1) fake.sendUserMessage(carol, '/help');
    fake.sendUserMessage(dave, '/help');
    await fake.waitForBotMessages(message(/^Too many requests: try again in \d+ s/));
    await fake.waitForConfirmed();
    // Stopping waits for every answer already on its way, so what was sent is all there will be.
    await bot.stop();

    const toCarol = messages(fake.sent.filter((r) => r.chat_id === carol.id));
    const notices = toCarol.filter((text) => text.startsWith('Too many requests'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^Too many requests: try again in \d+ s \(at most 2 messages a minute\)\./);
    expect(toCarol.filter((text) => text.startsWith('What I can do:'))).toHaveLength(2);
    const toDave = messages(fake.sent.filter((r) => r.chat_id === dave.id));
    expect(toDave.filter((text) => text.startsWith('What I can do:'))).toHaveLength(1);
    expect(fake.refusedCalls()).toEqual([]);
  });
});
