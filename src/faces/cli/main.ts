#!/usr/bin/env node
/**
 * The `scriptbox` executable. Never prints a stack trace: scriptbox's own errors print their message
 * (which says what to do, in the command line's words) with the exit code errors.ts's table gives their
 * code; anything unexpected is an internal error (70).
 */
import { CommanderError } from 'commander';
import { inFaceWords } from '../../engine/face-words.js';
import { exitCodeForError, ScriptboxError } from '../../errors.js';
import { buildProgram } from './program.js';
import { CLI_WORDS } from './run-options.js';

const INTERNAL = 70;
const USAGE = 2;

function fail(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE; // commander printed the message
  if (err instanceof ScriptboxError) {
    // In the command line's words: a limit by its flag (--memory, not limits.memoryMb), where to look as a
    // command (`scriptbox templates list`).
    process.stderr.write(`scriptbox: ${inFaceWords(err, CLI_WORDS).message}\n`);
    return exitCodeForError(err);
  }
  process.stderr.write(`scriptbox: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  return INTERNAL;
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return fail(err);
  }
}

// A reader that goes away (`scriptbox run x.py | head -1`) is not an error of ours.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
process.on('uncaughtException', (err) => process.exit(fail(err)));
process.on('unhandledRejection', (err) => process.exit(fail(err)));

process.exitCode = await main(process.argv);
