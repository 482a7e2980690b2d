/**
 * `scriptbox chat` on a real pseudo-terminal (util-linux `script`): readline puts the terminal in raw mode,
 * so the prompt and the echo of what is typed only appear if readline writes them to the terminal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/faces/cli/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
/** CSI and OSC sequences readline draws with (cursor moves, line clears). */
const plain = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, '').replaceAll('\r', '');

const hasScript = spawnSync('script', ['--version']).status === 0;

/**
 * Runs `scriptbox chat` on a terminal; each time the terminal shows `waitFor[i]` (after what was seen
 * before), types `typed[i]` and Enter. Resolves with everything the terminal showed.
 */
function chatOnTerminal(
  steps: Array<{ waitFor: string; type: string }>,
  home: string,
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '--import', TSX, MAIN, 'chat'].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: home,
    env: {
      ...process.env,
      SCRIPTBOX_HOME: home,
      SCRIPTBOX_LLM_BASE_URL: '',
      SCRIPTBOX_LLM_MODEL: '',
      TERM: 'xterm',
    },
  });
  let screen = '';
  let seen = 0;
  let step = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8');
    const next = steps[step];
    if (next === undefined) return;
    const at = plain(screen).indexOf(next.waitFor, seen);
    if (at < 0) return;
    seen = at + next.waitFor.length;
    step += 1;
    child.stdin.write(`${next.type}\r`);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, screen: plain(screen) });
    });
  });
}

describe('scriptbox chat on a terminal', () => {
  test.skipIf(!hasScript)('shows its prompt and echoes what is typed (needs util-linux script)', async () => {
    const home = mkdtempSync(join(process.env['SCRIPTBOX_HOME'] ?? '/tmp', 'chat-tty-'));
    const run = await chatOnTerminal(
      [
        { waitFor: '/quit or Ctrl-D to end.\n> ', type: '/help' },
        // The help text, then a fresh prompt for the next message.
        { waitFor: '\n> ', type: '/quit' },
      ],
      home,
    );
    expect(run.screen).toContain('> /help\n');
    expect(run.screen).toContain('> /quit\n');
    expect(run.code).toBe(0);
  });
});
