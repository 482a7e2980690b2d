/**
 * "Did you mean …" for typos in the chat: commands, words of a request, analysis and column names
 * (src/workflows/chat/typos.ts, close-names.ts), and the engine's answers with them.
 */
import { describe, expect, test } from 'vitest';
import { ANALYSES } from '../../src/workflows/analysis/analyses/index.js';
import { didYouMean, editDistance } from '../../src/workflows/chat/close-names.js';
import type { ParseContext } from '../../src/workflows/chat/intent.js';
import { correctedMessage, unknownCommandText } from '../../src/workflows/chat/typos.js';

const HOUSING: ParseContext = {
  analyses: ANALYSES,
  columns: ['area', 'rooms', 'district', 'price', 'year built'],
};

describe('edit distance', () => {
  test('a swap of two neighbouring letters is one slip', () => {
    expect(editDistance('scirpt', 'script')).toBe(1);
    expect(editDistance('lsit', 'list')).toBe(1);
    expect(editDistance('abc', 'ca')).toBe(3);
  });
});

describe('commands', () => {
  test('a command a letter or two off a real one is suggested with its arguments', () => {
    expect(unknownCommandText('scirpt', 'histogram price')).toBe(
      'There is no command /scirpt. Did you mean "/script histogram price"?',
    );
    expect(unknownCommandText('hepl', '')).toBe('There is no command /hepl. Did you mean "/help"?');
    expect(unknownCommandText('previwe', '')).toMatch(/Did you mean "\/preview"\?$/);
  });

  test('nothing close: the commands are listed', () => {
    expect(unknownCommandText('frobnicate', 'now')).toBe(
      'There is no command /frobnicate. The commands are /start, /help, /script, /preview, /code, /scripts.',
    );
  });
});

describe('requests', () => {
  test.each([
    ['histgram of price', 'histogram of price'],
    ['corelation between price and area', 'correlation between price and area'],
    ['histgoram of pirce', 'histogram of price'],
    ['scater of area and prise', 'scatter of area and price'],
    ['regresion of price on area', 'regression of price on area'],
    ['genrate code for a histogram of price', 'generate code for a histogram of price'],
    ['lsit code', 'list code'],
  ])('%s → %s', (typed, meant) => {
    expect(correctedMessage(typed, HOUSING)).toBe(meant);
  });

  test('words that mean nothing once put right, or nothing near a known word: no suggestion', () => {
    expect(correctedMessage('count the rows where price is above 100', HOUSING)).toBeNull();
    expect(correctedMessage('hello there', HOUSING)).toBeNull();
    // Short words are left alone: "are" is a letter from "area", but is no typo of it.
    expect(correctedMessage('what are you', HOUSING)).toBeNull();
  });

  test('column names are corrected in the dataset’s spelling', () => {
    const context = { analyses: ANALYSES, columns: ['Income', 'Age'] };
    expect(correctedMessage('histgram of incme', context)).toBe('histogram of Income');
  });
});

describe('names after /script', () => {
  test('an analysis name, a column name: the close ones', () => {
    expect(
      didYouMean(
        'scater',
        ANALYSES.map((spec) => spec.name),
      ),
    ).toBe(' Did you mean scatter?');
    expect(didYouMean('pirce', HOUSING.columns)).toBe(' Did you mean price?');
    expect(
      didYouMean(
        'anova',
        ANALYSES.map((spec) => spec.name),
      ),
    ).toBe('');
  });

  test('several close names read as a list', () => {
    expect(didYouMean('rom', ['rooms', 'room', 'roof'])).toBe(' Did you mean room, rooms or roof?');
  });
});
