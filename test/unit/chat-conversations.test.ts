/**
 * The conversation store: one message at a time per conversation, conversations independent of each
 * other, at most `max` kept (the least recently used idle one is closed first, busy ones never), and
 * close() closing every conversation and refusing new messages.
 */
import { describe, expect, test } from 'vitest';
import { ConversationStore } from '../../src/workflows/chat/conversations.js';

class Notebook {
  static made = 0;
  readonly id = ++Notebook.made;
  readonly log: string[] = [];
  closed = 0;
  close(): Promise<void> {
    this.closed += 1;
    return Promise.resolve();
  }
}

/** A promise with its resolve function, to hold a message in progress. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('conversation store', () => {
  test('messages of one conversation run one at a time, in order; another conversation is not held up', async () => {
    const store = new ConversationStore(10, () => new Notebook());
    const held = gate();
    const first = store.run('alice', async (notebook) => {
      notebook.log.push('first starts');
      await held.promise;
      notebook.log.push('first ends');
      return notebook;
    });
    const second = store.run('alice', (notebook) => {
      notebook.log.push('second');
      return Promise.resolve(notebook);
    });
    const bob = await store.run('bob', (notebook) => Promise.resolve(notebook));
    expect(bob.log).toEqual([]);
    held.open();
    const [alice, alsoAlice] = await Promise.all([first, second]);
    expect(alice).toBe(alsoAlice);
    expect(alice.log).toEqual(['first starts', 'first ends', 'second']);
    expect(bob).not.toBe(alice);
  });

  test('a message that fails does not block the next one', async () => {
    const store = new ConversationStore(10, () => new Notebook());
    await expect(store.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(store.run('a', () => Promise.resolve('after'))).resolves.toBe('after');
  });

  test('past max, the least recently used idle conversation is closed and forgotten', async () => {
    const store = new ConversationStore(2, () => new Notebook());
    const a = await store.run('a', (n) => Promise.resolve(n));
    const b = await store.run('b', (n) => Promise.resolve(n));
    await store.run('a', (n) => Promise.resolve(n)); // a is now more recent than b
    const c = await store.run('c', (n) => Promise.resolve(n));
    expect(store.size).toBe(2);
    expect([a.closed, b.closed, c.closed]).toEqual([0, 1, 0]);
    const again = await store.run('b', (n) => Promise.resolve(n));
    expect(again).not.toBe(b); // b starts over
    expect(a.closed).toBe(1); // and a, now the least recent, made room
  });

  test('a busy conversation is not evicted even when it is the least recently used', async () => {
    const store = new ConversationStore(1, () => new Notebook());
    const held = gate();
    let busy: Notebook | undefined;
    const running = store.run('busy', async (n) => {
      busy = n;
      await held.promise;
    });
    const other = await store.run('other', (n) => Promise.resolve(n));
    expect(busy?.closed).toBe(0);
    expect(store.size).toBe(2);
    held.open();
    await running;
    await store.run('third', (n) => Promise.resolve(n));
    expect(busy?.closed).toBe(1);
    expect(other.closed).toBe(1);
    expect(store.size).toBe(1);
  });

  test('close() closes every conversation once, waits for messages in progress, and refuses new ones', async () => {
    const store = new ConversationStore(10, () => new Notebook());
    const held = gate();
    const a = await store.run('a', (n) => Promise.resolve(n));
    let finished = false;
    const running = store.run('b', async () => {
      await held.promise;
      finished = true;
    });
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // b's message is still in progress
    held.open();
    await Promise.all([closing, store.close()]);
    expect(finished).toBe(true);
    await running;
    expect(a.closed).toBe(1);
    await expect(store.run('c', () => Promise.resolve(1))).rejects.toThrow(/closed/);
  });
});
