/** The `scriptbox` program: its commands and how it reports usage errors. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { analyzeCommand } from './analyze.js';
import { batchCommand } from './batch.js';
import { botCommand } from './bot.js';
import { cacheCommand } from './cache.js';
import { chatCommand } from './chat.js';
import { checkCommand } from './check.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor-command.js';
import { extractCommand } from './extract.js';
import { instrumentCommand } from './instrument.js';
import { generateCommand } from './generate.js';
import { mcpCommand } from './mcp.js';
import { runCommand } from './run.js';
import { scriptsCommand } from './scripts.js';
import { serveCommand } from './serve.js';
import { templatesCommand } from './templates.js';
import { tokensCommand } from './tokens.js';

function packageVersion(): string {
  // src/faces/cli/ and dist/faces/cli/ are both three levels below package.json.
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  const version =
    typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : undefined;
  return typeof version === 'string' ? version : '0.0.0';
}

/** Builds the program; each command reports its exit code through `setExitCode`. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('scriptbox')
    .description(
      'Run untrusted scripts (python, javascript, typescript, bash) in a real sandbox with hard limits',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    // Program options only before the command, so `scripts show <name> --version 2` reaches the command.
    .enablePositionalOptions()
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`scriptbox: ${text}`) });
  for (const command of [
    runCommand(setExitCode),
    batchCommand(setExitCode),
    extractCommand(setExitCode),
    checkCommand(setExitCode),
    doctorCommand(setExitCode),
    demoCommand(setExitCode),
    generateCommand(setExitCode),
    analyzeCommand(setExitCode),
    instrumentCommand(setExitCode),
    chatCommand(setExitCode),
    botCommand(setExitCode),
    templatesCommand(setExitCode),
    scriptsCommand(setExitCode),
    cacheCommand(setExitCode),
    serveCommand(setExitCode),
    tokensCommand(setExitCode),
    mcpCommand(setExitCode),
  ]) {
    program.addCommand(inherit(command, program));
  }
  return program;
}

/**
 * addCommand() does not pass exitOverride and the output settings on; copy them explicitly, down to
 * subcommands (`scriptbox scripts save`), so their usage errors exit 2 like the others.
 */
function inherit(command: Command, parent: Command): Command {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inherit(sub, command);
  return command;
}
