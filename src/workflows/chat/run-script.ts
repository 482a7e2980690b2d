/**
 * Runs a script that is not an analysis template (a library script, code an LLM wrote) where the data
 * is: Python in the conversation's session, whose work dir holds the dataset; other languages in a
 * one-shot sandbox given the dataset as an input file. Answers with the output, the files written under
 * out/ and a usage line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../engine/result.js';
import { usageLine } from '../analysis/analyze.js';
import { runReplies } from './script-replies.js';
import { progress, text, type Turn } from './turn.js';
import { plural } from '../../text.js';
import type { ChatReply } from './types.js';

export interface ScriptToRun {
  /** For progress messages: a library name, or "the generated script". */
  label: string;
  language: string;
  source: string;
}

async function execute(turn: Turn, script: ScriptToRun, outDir: string): Promise<RunResult> {
  const { chat, conversation } = turn;
  const { limits } = chat;
  const { signal } = turn.hooks;
  if (script.language === 'python') {
    return conversation.runInSession({
      run: (session) => session.run({ source: script.source, outDir, limits, signal }),
      signal,
    });
  }
  const dataset = conversation.dataset;
  return chat.engine.run({
    language: script.language,
    source: script.source,
    files: dataset ? [{ name: dataset.fileName, content: dataset.csv }] : [],
    outDir,
    limits,
    signal,
  });
}

export async function runScript(
  turn: Turn,
  script: ScriptToRun,
): Promise<{ run: RunResult; replies: ChatReply[] }> {
  const where = turn.conversation.dataset ? ` on ${turn.conversation.dataset.sourceName}` : '';
  progress(turn, 'running', `running ${script.label}${where}`);
  const outDir = await mkdtemp(join(tmpdir(), 'scriptbox-chat-'));
  try {
    const run = await execute(turn, script, outDir);
    if (run.files.length > 0) progress(turn, 'charting', `sending ${plural(run.files.length, 'file')}`);
    const files = await Promise.all(
      run.files.map(async (file) => ({ path: file.path, bytes: await readFile(join(outDir, file.path)) })),
    );
    const shown = runReplies(run, files, {
      analyses: turn.chat.analyses,
      dataName: turn.conversation.dataset?.sourceName,
    });
    return { run, replies: [...shown, text(usageLine(run))] };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
