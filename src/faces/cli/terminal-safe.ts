/**
 * Terminal safety for untrusted text the CLI prints: a script's stdout and stderr, messages built from them,
 * analysis text, names a script chose. Written to a terminal, control characters other than newline and tab
 * are shown escaped (ESC as `\x1b`, see control-chars.ts), so a script cannot write the clipboard (OSC 52),
 * retitle the window, move the cursor or hide text. `--raw` keeps the bytes as they are. Output that is not
 * a terminal (a pipe, a file) always keeps the exact bytes: `scriptbox run x.py > out.txt` is what x.py
 * printed. `--json` output is JSON, escaped already.
 */
import { Option } from 'commander';
import { escapeControlChars } from '../../control-chars.js';
import { writeText } from './io.js';

/** A stream that may be a terminal (process.stdout, process.stderr). */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** `text` as it may be written to `stream`: escaped when the stream is a terminal, unless `raw`. */
export function terminalSafe(text: string, stream: OutputStream, raw: boolean): string {
  return raw || stream.isTTY !== true ? text : escapeControlChars(text);
}

/** Writes untrusted `text` to `stream`, escaped on a terminal unless `raw` (see terminalSafe). */
export function writeUntrusted(stream: OutputStream, text: string, raw: boolean): Promise<void> {
  return writeText(stream, terminalSafe(text, stream, raw));
}

/** The `--raw` option of the commands that print untrusted text. */
export function rawOption(): Option {
  return new Option(
    '--raw',
    "print the script's output as it is, control characters included (default on a terminal: shown " +
      'escaped, ESC as \\x1b; a pipe or file always gets the exact bytes)',
  );
}
