#!/usr/bin/env node
/**
 * The `scriptbox` executable. Never prints a stack trace: scriptbox's own errors print their message
 * (which says what to do) with the exit code from errors.ts; anything unexpected is an internal error (70).
 */
import { CommanderError } from 'commander';
import { LimitAboveCeilingError } from '../../engine/ceilings.js';
import { exitCodeForError, ScriptboxError } from '../../errors.js';
import { buildProgram } from './program.js';
import { cliCeilingMessage } from './run-options.js';

const INTERNAL = 70;
const USAGE = 2;

function fail(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE; // commander printed the message
  if (err instanceof ScriptboxError) {
    // A limit above its ceiling is said with the flag that asked for it (--memory), not limits.memoryMb.
    const message = err instanceof LimitAboveCeilingError ? cliCeilingMessage(err.breach) : err.message;
    process.stderr.write(`scriptbox: ${message}\n`);
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
