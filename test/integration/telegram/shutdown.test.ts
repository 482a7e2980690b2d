/**
 * Stopping the bot: the messages received are still answered, but work that outlasts the shutdown grace
 * (here none) is cancelled through the chat's signal, and its user is told so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { waitUntil } from '../../support/wait.js';
import { processesWithMarker } from '../sandbox-processes.js';
import { message, say, startRig, type BotRig } from './bot-harness.js';

const dora = { id: 7001, first_name: 'Dora' };

let rig: BotRig;

beforeAll(async () => {
  rig = await startRig({ shutdownGraceMs: 0 });
});

afterAll(async () => {
  await rig?.close();
});

describe('stop()', () => {
  test(
    'cancels a script still running after the grace, and says so to its user',
    { timeout: 120_000 },
    async () => {
      const marker = `BOT-SHUTDOWN-${process.pid}-${Date.now()}`;
      const saved = rig.library.save({
        category: 'demo',
        task: 'sleeps',
        language: 'python',
        source: `import subprocess\nsubprocess.run(["/usr/bin/python3", "-c", "import time; time.sleep(60)", "${marker}"])\n`,
      });
      await say(rig, dora, `run code ${saved.name}`, message(/Reply yes to run/));
      const after = rig.fake.mark();
      rig.fake.sendUserMessage(dora, 'yes');
      // Under way for sure: its child is a live host process.
      await waitUntil(() => processesWithMarker(marker).length > 0, {
        what: 'the script',
        timeoutMs: 60_000,
      });

      const started = performance.now();
      await rig.bot.stop();
      expect(performance.now() - started).toBeLessThan(30_000); // not the script's 60 s
      const sent = await rig.fake.waitForBotMessages(
        message(/^Cancelled: the script was stopped before it finished\./),
        { after },
      );
      expect(sent.length).toBeGreaterThan(0);
      expect(processesWithMarker(marker)).toEqual([]);
      expect(rig.library.history(saved.name).map((run) => run.kind)).toEqual(['cancelled']);
    },
  );
});
