/** The `scriptbox` program: its commands and how it reports usage errors. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { batchCommand } from './batch.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor-command.js';
import { runCommand } from './run.js';

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
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`scriptbox: ${text}`) });
  for (const command of [
    runCommand(setExitCode),
    batchCommand(setExitCode),
    doctorCommand(setExitCode),
    demoCommand(setExitCode),
  ]) {
    // addCommand() does not pass exitOverride and the output settings on; copy them explicitly.
    program.addCommand(command.copyInheritedSettings(program));
  }
  return program;
}
