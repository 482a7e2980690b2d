/**
 * `scriptbox chat [--file data.csv] [--out-dir dir]`: the chat engine in the terminal. Each line read from
 * stdin (typed or piped) is one message (a ``` fence continues until it closes); `/upload <path>` sends a
 * file, as --file does at the start. Replies go to stdout: text and tables as aligned text; charts and
 * scripts are saved into --out-dir and their paths printed. Progress goes to stderr. The library is the
 * one under SCRIPTBOX_HOME, the LLM the one SCRIPTBOX_LLM_* configure. Ends with exit 0 at the end of
 * input or on /quit; Ctrl-C ends the session cleanly (exit 130; a second one exits at once).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { z } from 'zod';
import { createEngine, type Engine } from '../../engine/engine.js';
import { ScriptboxError } from '../../errors.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { createTemplateRegistry } from '../../generate/registry.js';
import { openLibrary } from '../../library/index.js';
import type { Block } from '../../workflows/analysis/spec.js';
import { createChatEngine } from '../../workflows/chat/engine.js';
import { DEFAULT_TEXT_WIDTH, renderBlocksAsText } from '../../workflows/analysis/render-text.js';
import { MessageJoiner } from './terminal-input.js';
import type { ChatEngine, ChatInput, ChatReply } from '../../workflows/chat/types.js';
import { Interrupt } from './interrupt.js';
import { readUserFile, writeText } from './io.js';
import { rawOption, writeUntrusted } from './terminal-safe.js';

const ChatCliOptsSchema = z.object({
  file: z.string().optional(),
  outDir: z.string().default('scriptbox-out'),
  raw: z.boolean().default(false),
});
type ChatCliOpts = z.infer<typeof ChatCliOptsSchema>;

const CONVERSATION_ID = 'terminal';

export function chatCommand(setExitCode: (code: number) => void): Command {
  return new Command('chat')
    .description(
      'chat in the terminal: send a CSV, TSV or xlsx table, ask for analyses in words or with /script; ' +
        'scripts run in a sandbox session',
    )
    .option('--file <path>', 'a table to load at the start (later: /upload <path>)')
    .option('--out-dir <dir>', 'where charts and scripts are saved', 'scriptbox-out')
    .addOption(rawOption())
    .addHelpText(
      'after',
      '\nType /help in the chat for what it understands; /upload <path> sends a file; /quit or Ctrl-D ends.',
    )
    .action(async (raw: unknown) => {
      setExitCode(await chat(ChatCliOptsSchema.parse(raw)));
    });
}

/** A file name of the reply, made safe and not overwriting an earlier one in `dir`. */
function freePath(dir: string, name: string): string {
  const safe = basename(name).replace(/[^\w.-]+/g, '_') || 'file';
  const extension = extname(safe);
  const stem = safe.slice(0, safe.length - extension.length);
  let path = join(dir, safe);
  for (let n = 2; existsSync(path); n += 1) path = join(dir, `${stem}-${n}${extension}`);
  return path;
}

/**
 * Prints replies: text and tables on stdout, files saved into the output directory. Replies quote script
 * output and uploaded tables: escaped on a terminal unless --raw (terminal-safe.ts).
 */
async function printReplies(replies: ChatReply[], outDir: string, raw: boolean): Promise<void> {
  const out = (text: string): Promise<void> => writeUntrusted(process.stdout, text, raw);
  const width = process.stdout.columns ?? DEFAULT_TEXT_WIDTH;
  let blocks: Block[] = [];
  const flush = async (): Promise<void> => {
    await out(renderBlocksAsText(blocks, width));
    blocks = [];
  };
  for (const reply of replies) {
    if (reply.kind === 'text' || reply.kind === 'table') {
      blocks.push(reply);
      continue;
    }
    await flush();
    mkdirSync(outDir, { recursive: true });
    const path = freePath(outDir, reply.name);
    writeFileSync(path, reply.bytes);
    const what = reply.kind === 'image' ? 'chart' : 'file';
    await out(`[${what} saved: ${path}]${reply.caption ? ` ${reply.caption}` : ''}\n`);
  }
  await flush();
  await out('\n');
}

function uploadInput(path: string): ChatInput {
  return { kind: 'file', name: basename(path), bytes: readUserFile(path, 'the file') };
}

/** The message for one line: `/upload <path>` reads the file; a file that cannot be read is said on stderr. */
async function inputFor(message: string): Promise<ChatInput | null> {
  const upload = /^\/upload(?:\s+([\s\S]*))?$/.exec(message.trim());
  if (!upload) return { kind: 'text', text: message };
  const path = (upload[1] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
  if (path === '') {
    await writeText(process.stderr, 'scriptbox: /upload needs a path: /upload data.csv\n');
    return null;
  }
  try {
    return uploadInput(path);
  } catch (err) {
    if (!(err instanceof ScriptboxError)) throw err;
    await writeText(process.stderr, `scriptbox: ${err.message}\n`);
    return null;
  }
}

async function converse(chatEngine: ChatEngine, opts: ChatCliOpts, stopped: AbortSignal): Promise<void> {
  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  const send = async (input: ChatInput): Promise<void> => {
    // Ctrl-C cancels the message being answered (its run, a session starting, an LLM request) at once.
    const replies = await chatEngine.handle(CONVERSATION_ID, input, {
      onProgress: (progress) => void writeUntrusted(process.stderr, `… ${progress.text}\n`, opts.raw),
      signal: stopped,
    });
    if (!stopped.aborted) await printReplies(replies, opts.outDir, opts.raw);
  };
  if (opts.file !== undefined) await send(uploadInput(opts.file));
  // On a terminal readline draws the prompt and echoes what is typed (it switches the terminal to raw
  // mode): it needs the terminal as its output, or the user types blind. Piped input has no echo to make.
  const lines = createInterface({
    input: process.stdin,
    ...(interactive ? { output: process.stdout } : {}),
    terminal: interactive,
    prompt: '> ',
  });
  stopped.addEventListener('abort', () => lines.close(), { once: true });
  // In a terminal readline takes Ctrl-C itself: treat it as the signal.
  lines.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  if (interactive) {
    await writeText(process.stderr, 'scriptbox chat: /help for what I understand, /quit or Ctrl-D to end.\n');
    lines.prompt();
  }
  const joiner = new MessageJoiner();
  for await (const line of lines) {
    const message = joiner.push(line);
    if (message === null) continue;
    if (/^\/(quit|exit)$/i.test(message.trim())) break;
    if (message.trim() !== '') {
      const input = await inputFor(message);
      if (input) await send(input);
    }
    if (stopped.aborted) break;
    if (interactive) lines.prompt();
  }
  lines.close();
  const rest = joiner.rest();
  if (rest !== null && !stopped.aborted) await send({ kind: 'text', text: rest });
}

async function chat(opts: ChatCliOpts): Promise<number> {
  const library = openLibrary();
  let engine: Engine;
  try {
    // Scripts run in sessions: warm one-shot sandboxes would go unused.
    engine = await createEngine({ pool: { size: 0 } });
  } catch (err) {
    library.close();
    throw err;
  }
  const chatEngine = createChatEngine({
    engine,
    registry: createTemplateRegistry(),
    library,
    llm: llmProviderFromEnv(),
  });
  const interrupt = new Interrupt();
  try {
    await converse(chatEngine, opts, interrupt.signal);
  } finally {
    interrupt.dispose();
    await chatEngine.close();
    await engine.close();
    library.close();
  }
  return interrupt.exitCode ?? 0;
}
