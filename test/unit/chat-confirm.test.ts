/**
 * Confirmations: only an explicit yes performs the waiting action (once); anything else cancels it, says
 * what was cancelled, and performs nothing.
 */
import { describe, expect, test } from 'vitest';
import { confirmationQuestion, isYes, settle, type PendingAction } from '../../src/workflows/chat/confirm.js';
import type { ChatHooks, ChatReply } from '../../src/workflows/chat/types.js';

/** An action that records each time it is performed, and the hooks it got. */
function recordingAction(): PendingAction & { performed: ChatHooks[] } {
  const performed: ChatHooks[] = [];
  return {
    what: 'delete stats_descriptive_001.py',
    performed,
    perform: (hooks) => {
      performed.push(hooks);
      return Promise.resolve<ChatReply[]>([{ kind: 'text', text: 'deleted' }]);
    },
  };
}

describe('what counts as yes', () => {
  test.each(['yes', 'y', 'sure', 'YES', 'Yes!', 'y.', '  Sure.  ', 'SuRe!', '\tyes\n'])(
    '%j is yes',
    (text) => {
      expect(isYes(text)).toBe(true);
    },
  );

  test.each([
    'no',
    'n',
    '',
    'yes please',
    'yeah',
    'ok',
    'yes!!',
    'y?',
    'yess',
    'sure thing',
    '"yes"',
    'run code stats_descriptive_001.py',
  ])('%j is not yes', (text) => {
    expect(isYes(text)).toBe(false);
  });
});

describe('settling a waiting action', () => {
  test('a yes performs it once and returns its replies; the hooks of the yes are the ones used', async () => {
    const action = recordingAction();
    const hooks: ChatHooks = { onProgress: () => undefined };
    expect(await settle(action, { kind: 'text', text: 'Yes!' }, hooks)).toEqual([
      { kind: 'text', text: 'deleted' },
    ]);
    expect(action.performed).toEqual([hooks]);
  });

  test.each(['no', 'No.', 'cancel'])('%j cancels plainly', async (text) => {
    const action = recordingAction();
    expect(await settle(action, { kind: 'text', text }, {})).toEqual([
      { kind: 'text', text: 'Cancelled: did not delete stats_descriptive_001.py.' },
    ]);
    expect(action.performed).toEqual([]);
  });

  test.each(['not now', 'yes please', 'delete code stats_descriptive_001.py', '/help'])(
    '%j cancels: nothing is performed and the reply says what was cancelled',
    async (text) => {
      const action = recordingAction();
      const replies = await settle(action, { kind: 'text', text }, {});
      expect(action.performed).toEqual([]);
      expect(replies).toEqual([
        {
          kind: 'text',
          text: 'Cancelled: did not delete stats_descriptive_001.py. Your message was not acted on: send it again if you meant it.',
        },
      ]);
    },
  );

  test('a file cancels too, and the reply says it was not loaded', async () => {
    const action = recordingAction();
    const replies = await settle(
      action,
      { kind: 'file', name: 'sales.csv', bytes: new Uint8Array([97]) },
      {},
    );
    expect(action.performed).toEqual([]);
    expect(replies).toEqual([
      {
        kind: 'text',
        text: 'Cancelled: did not delete stats_descriptive_001.py. Your file sales.csv was not loaded: send it again.',
      },
    ]);
  });

  test('the question names the action and says that anything else cancels', () => {
    expect(confirmationQuestion(recordingAction())).toEqual({
      kind: 'text',
      text: 'Reply yes to delete stats_descriptive_001.py; anything else cancels.',
    });
  });
});
