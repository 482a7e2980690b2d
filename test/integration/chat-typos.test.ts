/**
 * Typos in the chat are answered with what they may have meant, not the generic help: a mistyped
 * command, analysis, column or request word (no LLM configured, so nothing else takes the message).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { createTemplateRegistry } from '../../src/generate/registry.js';
import { createChatEngine } from '../../src/workflows/chat/engine.js';
import type { ChatEngine } from '../../src/workflows/chat/types.js';
import { allText, HOUSING_CSV, say, send } from './chat-harness.js';

let engine: Engine;
let chat: ChatEngine;
const me = 'typist';

beforeAll(async () => {
  engine = await createEngine({ pool: { size: 0 } });
  chat = createChatEngine({ engine, registry: createTemplateRegistry() });
  await send(chat, me, 'housing.csv', HOUSING_CSV);
});
afterAll(async () => {
  await chat?.close();
  await engine?.close();
});

const answer = async (text: string): Promise<string> => allText((await say(chat, me, text)).replies);

describe('did you mean', () => {
  test('a mistyped command: the command it was meant as, with its arguments', async () => {
    expect(await answer('/scirpt histogram price')).toBe(
      'There is no command /scirpt. Did you mean "/script histogram price"?',
    );
  });

  test('a mistyped analysis after /script', async () => {
    expect(await answer('/script scater area price')).toMatch(
      /^There is no analysis "scater"\. Did you mean scatter\?\n/,
    );
  });

  test('a mistyped column after /script', async () => {
    expect(await answer('/script histogram pirce')).toMatch(
      /^"pirce" is no column of housing\.csv\. Did you mean "price"\?\nColumns of housing\.csv: /,
    );
    expect(await answer('/script scatter aera pirce')).toMatch(
      /^"aera", "pirce" are no columns of housing\.csv\. Did you mean "area" for "aera", "price" for "pirce"\?\n/,
    );
  });

  test('a request with mistyped words: the request put right', async () => {
    expect(await answer('histgram of prcie')).toBe(
      'I did not understand that. Did you mean "histogram of price"? Send it as you meant it; "help" lists the rest.',
    );
  });

  test('nothing close to anything known: the help, as before', async () => {
    expect(await answer('make me a sandwich')).toMatch(/^I did not understand that\. Here is what I can do:/);
  });
});
