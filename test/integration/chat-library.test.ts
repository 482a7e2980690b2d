/**
 * The chat's library triggers against a real library (temp dir) and the real sandbox: "generate code"
 * without an LLM keeps the template's script; run, update and delete code wait for an explicit yes and do
 * nothing on a decline; a waiting action takes only the next message of its own conversation; unknown
 * names get close ones; a failing script is answered with its error, never a stack trace.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createChatEngine } from '../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../src/workflows/chat/types.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { LibraryNotFoundError, openLibrary, type Library } from '../../src/library/index.js';
import {
  allText,
  blocks,
  documents,
  expectAnalysisReplies,
  expectedAnalysis,
  HOUSING_CSV,
  images,
  isPng,
  say,
  send,
} from './chat-harness.js';

const registry = createTemplateRegistry();
let engine: Engine;
let library: Library;
let chat: ChatEngine;
const me = 'librarian';
const NAME = 'stats_histogram_001.py';

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  library = openLibrary({
    home: mkdtempSync(join(process.env['SCRIPTBOX_HOME'] ?? '/tmp', 'chat-library-')),
  });
  chat = createChatEngine({ engine, registry, library });
});
afterAll(async () => {
  await chat?.close();
  await engine?.close();
  library?.close();
});

const lastText = (replies: Awaited<ReturnType<typeof say>>['replies']): string => {
  const last = blocks(replies).at(-1);
  return last?.kind === 'text' ? last.text : '';
};

describe('generate, list, run, update and delete code', () => {
  test('"generate code" without an LLM runs the matching template and keeps its script', async () => {
    await send(chat, me, 'housing.csv', HOUSING_CSV);
    const { replies } = await say(chat, me, 'generate code: a histogram of price');
    const expected = await expectedAnalysis(registry, 'histogram', ['price'], 'housing.csv', HOUSING_CSV);
    expect(blocks(replies).slice(0, expected.blocks.length)).toEqual(expected.blocks);
    expect(lastText(replies)).toBe(`Saved to the library as ${NAME}: "run code ${NAME}" runs it again.`);
    const saved = library.get(NAME);
    expect(saved.source).toBe(expected.source);
    expect(library.history(NAME).map((run) => [run.ok, run.who])).toEqual([[true, `chat:${me}`]]);
  });

  test('"list code" shows the library', async () => {
    const { replies } = await say(chat, me, 'list code');
    const [table] = blocks(replies);
    expect(table?.kind === 'table' ? table.rows.map((row) => row.slice(0, 2)) : []).toEqual([[NAME, '1']]);
  });

  test('"run code" asks first; a decline runs nothing, and a later yes has nothing to confirm', async () => {
    const asked = await say(chat, me, `run code ${NAME}`);
    expect(lastText(asked.replies)).toBe(`Reply yes to run ${NAME} (version 1); anything else cancels.`);
    const declined = await say(chat, me, 'not now');
    expect(allText(declined.replies)).toBe(
      `Cancelled: did not run ${NAME} (version 1). Your message was not acted on: send it again if you meant it.`,
    );
    const late = await say(chat, me, 'yes');
    expect(allText(late.replies)).toBe('Nothing is waiting for a yes right now.');
    expect(library.history(NAME)).toHaveLength(1);
  });

  test('"run code" with a yes runs the script in the session, next to the data, and records the run', async () => {
    await say(chat, me, `run code ${NAME}`);
    const { replies, progress } = await say(chat, me, 'Y');
    // A saved analysis script reads as the analysis did when asked for: its tables, not its raw JSON.
    const expected = await expectedAnalysis(registry, 'histogram', ['price'], 'housing.csv', HOUSING_CSV);
    expectAnalysisReplies(replies, expected, 1);
    expect(allText(replies)).not.toMatch(/"template"/);
    expect(images(replies).map((image) => [image.name, isPng(image.bytes), image.caption])).toEqual([
      ['histogram_price.png', true, 'histogram · housing.csv'],
    ]);
    expect(progress.map((p) => p.stage)).toEqual(['running', 'charting']);
    expect(library.history(NAME)).toHaveLength(2);
  });

  const NEW_CODE =
    'import json\nrows = open("housing.csv").read().splitlines()\nprint(json.dumps({"lines": len(rows)}))\n';

  test('"update code" with a fenced block shows the new version and saves it only after a yes', async () => {
    const message = `update code ${NAME} to \`\`\`python\n${NEW_CODE}\`\`\``;
    const asked = await say(chat, me, message);
    const [document] = documents(asked.replies);
    expect(document?.name).toBe(NAME);
    expect(Buffer.from(document?.bytes ?? []).toString('utf8')).toBe(NEW_CODE);
    expect(lastText(asked.replies)).toBe(
      `Reply yes to save it as version 2 of ${NAME}; anything else cancels.`,
    );
    await say(chat, me, 'no');
    expect(library.get(NAME).currentVersion).toBe(1);

    await say(chat, me, message);
    const saved = await say(chat, me, 'sure');
    expect(allText(saved.replies)).toBe(`Saved ${NAME} version 2.`);
    expect(library.get(NAME)).toMatchObject({ version: 2, source: NEW_CODE });
    expect(library.get(NAME, { version: 1 }).source).not.toBe(NEW_CODE);
  });

  test('the new version is what runs next', async () => {
    await say(chat, me, `run code ${NAME}`);
    const { replies } = await say(chat, me, 'yes');
    expect(blocks(replies)[0]).toEqual({ kind: 'text', text: JSON.stringify({ lines: 121 }, null, 2) });
    expect(images(replies)).toEqual([]);
  });

  test('"update code" from an instruction needs an LLM: the answer says what to set, or to send code', async () => {
    const { replies } = await say(chat, me, `update code ${NAME} to count only rows with a price`);
    const text = allText(replies);
    expect(text).toMatch(/needs an LLM: set SCRIPTBOX_LLM_BASE_URL/);
    expect(text).toMatch(/send the new code in a fenced block/);
    expect(allText((await say(chat, me, 'yes')).replies)).toBe('Nothing is waiting for a yes right now.');
  });

  test('unknown names are answered with close names from the library', async () => {
    const typo = await say(chat, me, 'run code stats_histogramm_001.py');
    expect(allText(typo.replies)).toBe(
      `No script stats_histogramm_001.py in the library. Did you mean ${NAME}?`,
    );
    const malformed = await say(chat, me, 'delete code stats_histogram_1.py');
    expect(allText(malformed.replies)).toMatch(
      new RegExp(
        `^"stats_histogram_1\\.py" is not a script name: names look like .*Did you mean ${NAME}\\?$`,
      ),
    );
    const nothing = await say(chat, me, 'run code ml_forest_001.py');
    expect(allText(nothing.replies)).toBe(
      'No script ml_forest_001.py in the library. "list code" shows the library.',
    );
  });

  test('a waiting action takes only the next message: another command cancels it and is not run', async () => {
    await say(chat, me, `delete code ${NAME}`);
    const other = await say(chat, me, `run code ${NAME}`);
    expect(allText(other.replies)).toMatch(/^Cancelled: did not delete/);
    expect(allText((await say(chat, me, 'yes')).replies)).toBe('Nothing is waiting for a yes right now.');
    expect(library.get(NAME).currentVersion).toBe(2);
  });

  test('a waiting action belongs to its conversation: a yes elsewhere does nothing', async () => {
    await send(chat, 'someone-else', 'housing.csv', HOUSING_CSV);
    const asked = await say(chat, me, `delete code ${NAME}`);
    expect(allText(asked.replies)).toMatch(/has 2 versions; deleting removes all of them/);
    const elsewhere = await say(chat, 'someone-else', 'yes');
    expect(allText(elsewhere.replies)).toBe('Nothing is waiting for a yes right now.');
    expect(library.get(NAME).currentVersion).toBe(2);
    const deleted = await say(chat, me, 'Sure!');
    expect(allText(deleted.replies)).toBe(`Deleted ${NAME} (2 versions, 3 recorded runs).`);
    expect(() => library.get(NAME)).toThrow(LibraryNotFoundError);
  });
});

describe('scripts that fail, and other languages', () => {
  test('a failing script: its error in one line, never a stack trace', async () => {
    const saved = library.save({
      category: 'demo',
      task: 'fails',
      language: 'python',
      source: 'def check(value):\n    raise ValueError(f"bad input: {value}")\n\ncheck(3)\n',
    });
    await say(chat, me, `run code ${saved.name}`);
    const { replies } = await say(chat, me, 'yes');
    const text = allText(replies);
    expect(blocks(replies)[0]).toEqual({
      kind: 'text',
      text: 'The script failed: ValueError: bad input: 3 (the script exited with code 1)',
    });
    expect(text).not.toMatch(/Traceback|line \d+, in/);
    expect(library.history(saved.name).map((run) => [run.ok, run.kind])).toEqual([[false, 'runtime']]);
  });

  test('a JavaScript script runs in a one-shot sandbox, given the dataset as a file', async () => {
    const saved = library.save({
      category: 'demo',
      task: 'count_lines',
      language: 'javascript',
      source:
        'const fs = require("node:fs");\n' +
        'const lines = fs.readFileSync("housing.csv", "utf8").trim().split("\\n");\n' +
        'console.log(JSON.stringify({ header: lines[0], rows: lines.length - 1 }));\n',
    });
    await say(chat, me, `run code ${saved.name}`);
    const { replies } = await say(chat, me, 'yes');
    const header = HOUSING_CSV.toString('utf8').split('\n')[0];
    expect(blocks(replies)[0]).toEqual({
      kind: 'text',
      text: JSON.stringify({ header, rows: 120 }, null, 2),
    });
  });
});

describe('without a library', () => {
  test('the library triggers say it is not available', async () => {
    const bare = createChatEngine({ engine, registry });
    try {
      for (const message of [
        'list code',
        `run code ${NAME}`,
        `delete code ${NAME}`,
        `update code ${NAME} to x`,
      ]) {
        expect(allText((await say(bare, 'x', message)).replies)).toBe(
          'The script library is not available here.',
        );
      }
    } finally {
      await bare.close();
    }
  });
});
