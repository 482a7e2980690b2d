/** How a runtime's script is started inside the sandbox: the runner program and its argv. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RUNNER_DIR, WORK_DIR } from '../bwrap.js';
import type { RuntimeSpec } from './spec.js';

const RUNNER_FILES = { python: 'python.py', node: 'node.mjs', exec: 'exec.sh' } as const;
const BASH = '/bin/bash';

/** Host path of a runner program shipped with scriptbox. */
export function runnerHostPath(runner: RuntimeSpec['runner']): string {
  return fileURLToPath(new URL(`../runners/${RUNNER_FILES[runner]}`, import.meta.url));
}

/** Runner sources, read once per engine. */
export function loadRunners(): Record<RuntimeSpec['runner'], string> {
  return {
    python: readFileSync(runnerHostPath('python'), 'utf8'),
    node: readFileSync(runnerHostPath('node'), 'utf8'),
    exec: readFileSync(runnerHostPath('exec'), 'utf8'),
  };
}

/** Stands for the script's file name in runner argv; the runner learns the name with its job. */
export const FILE_PLACEHOLDER = '{file}';

/**
 * argv that starts the runner of `spec`; `runnerDir` is where the runner programs are (RUNNER_DIR inside
 * the sandbox, the package's runners dir when unsandboxed). The script itself comes later, with `go`.
 */
export function runtimeCommand(spec: RuntimeSpec, runnerDir = RUNNER_DIR): string[] {
  const runner = `${runnerDir}/${RUNNER_FILES[spec.runner]}`;
  switch (spec.runner) {
    case 'python':
    case 'node':
      return [spec.interpreter, ...spec.args, runner];
    case 'exec': {
      const check = spec.syntaxCheck ? [...spec.syntaxCheck, FILE_PLACEHOLDER] : [];
      return [BASH, runner, String(check.length), ...check, spec.interpreter, ...spec.args, FILE_PLACEHOLDER];
    }
  }
}

export function runnerFileName(spec: RuntimeSpec): string {
  return RUNNER_FILES[spec.runner];
}

/** The whole environment a script sees: nothing from the host. */
export function scriptEnv(spec: RuntimeSpec, home = WORK_DIR): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: home === WORK_DIR ? '/tmp' : home,
    LANG: 'C.UTF-8',
    MPLBACKEND: 'Agg',
    MPLCONFIGDIR: home === WORK_DIR ? '/tmp/matplotlib' : `${home}/.matplotlib`,
    ...spec.env,
  };
}

const INTERPRETER_SETTING: Partial<Record<RuntimeSpec['runner'], string>> = {
  python: 'SCRIPTBOX_PYTHON',
  node: 'SCRIPTBOX_NODE',
};

/** Why `spec`'s interpreter cannot run, with what to do about it; null when it is there and executable. */
export function interpreterProblem(spec: RuntimeSpec): string | null {
  try {
    accessSync(spec.interpreter, constants.X_OK);
    return null;
  } catch {
    const setting = INTERPRETER_SETTING[spec.runner];
    return (
      `the ${spec.name} interpreter ${spec.interpreter} is not installed or not executable: install it` +
      (setting ? `, or point ${setting} at another one` : `, or change the runtime's interpreter`)
    );
  }
}
