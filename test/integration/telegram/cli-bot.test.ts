/**
 * `scriptbox bot telegram` as a process against the fake Bot API server: it answers, stops on SIGTERM
 * after answering, never prints the token, and refuses to start without one.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../cli-process.js';
import { FakeBotApi } from './fake-bot-api.js';
import { message } from './bot-harness.js';

let fake: FakeBotApi;

beforeAll(async () => {
  fake = await FakeBotApi.start();
});

afterAll(async () => {
  await fake?.close();
});

describe('scriptbox bot telegram', () => {
  test('answers through the given API root and stops on SIGTERM', { timeout: 120_000 }, async () => {
    const user = { id: 8001, first_name: 'Erin' };
    fake.sendUserMessage(user, '/help');
    let pid = 0;
    const run = runCli(['bot', 'telegram', '--api-root', fake.apiRoot, '--per-user-per-minute', '5'], {
      cwd: tmpdir(),
      env: { SCRIPTBOX_TELEGRAM_TOKEN: fake.token },
      onSpawn: (spawned) => (pid = spawned),
    });
    await fake.waitForBotMessages(message(/^What I can do:/));
    await fake.waitForConfirmed();
    process.kill(pid, 'SIGTERM');
    const { code, stderr } = await run;
    expect(code).toBe(143);
    expect(stderr).toContain('scriptbox: answering as @scriptbox_test_bot on Telegram (Ctrl-C stops)');
    expect(stderr).toContain('scriptbox: stopping:');
    expect(stderr).toContain('"event":"polling_started"');
    expect(stderr).not.toContain(fake.token.split(':')[1]);
    expect(fake.commands.map((command) => command.command)).toContain('script');
  });

  test('without a token it says where to put one', async () => {
    const { code, stderr } = await runCli(['bot', 'telegram'], {
      cwd: tmpdir(),
      env: { SCRIPTBOX_TELEGRAM_TOKEN: '' },
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      'scriptbox: no bot token: set SCRIPTBOX_TELEGRAM_TOKEN to the token @BotFather gave (or pass --token)\n',
    );
  });
});
