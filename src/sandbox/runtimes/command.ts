/** How a runtime's script is started inside the sandbox: the runner program and its argv. */
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNNER_DIR, WORK_DIR } from '../bwrap.js';
import { EGRESS_BRIDGE_FILE, EGRESS_PRELOAD_FILE } from '../egress-layout.js';
import type { RuntimeSpec } from './spec.js';

const RUNNER_FILES = { python: 'python.py', node: 'node.mjs', exec: 'exec.sh' } as const;
const BASH = '/bin/bash';

/** Host path of a runner program shipped with scriptbox. */
export function runnerHostPath(runner: RuntimeSpec['runner']): string {
  return fileURLToPath(new URL(`../runners/${RUNNER_FILES[runner]}`, import.meta.url));
}

/**
 * The resident supervisor of every session (a Python program, whatever the session's language): Python
 * runs are forked from it, other runtimes' runs are exec'd from a fork of it.
 */
export const SESSION_SUPERVISOR_FILE = 'session.py';
/** The state holders of stateful sessions: Python's is forked from the supervisor, the others exec'd. */
const SESSION_HOLDER_FILES = {
  python: 'session_holder.py',
  node: 'session_node.mjs',
  bash: 'session_bash.sh',
} as const;

/** Runtimes with sessions: Python and Node, and bash (a persistent shell); other exec runtimes have none. */
export function hasSessions(spec: RuntimeSpec): boolean {
  return spec.runner !== 'exec' || spec.interpreter === BASH;
}

/** The module both Python runners import from their own directory (module path, running __main__). */
const PYTHON_SHARED_FILE = 'scriptbox_python.py';
/** scriptbox's matplotlib backend (`module://scriptbox_display`), next to the shared module that finds it. */
const PYTHON_DISPLAY_FILE = 'scriptbox_display.py';

/** Runner files a sandbox needs besides `runnerFile` itself. */
export function runnerCompanions(runnerFile: string): string[] {
  if (runnerFile === SESSION_SUPERVISOR_FILE)
    return [PYTHON_SHARED_FILE, PYTHON_DISPLAY_FILE, ...Object.values(SESSION_HOLDER_FILES)];
  return runnerFile.endsWith('.py') ? [PYTHON_SHARED_FILE, PYTHON_DISPLAY_FILE] : [];
}

/** What a sandbox granted network runs besides its runner (see egress-layout.ts). */
const EGRESS_FILES = [EGRESS_BRIDGE_FILE, EGRESS_PRELOAD_FILE];

/** Runner sources by file name, read once per engine. */
export function loadRunners(): Map<string, string> {
  const dir = dirname(runnerHostPath('python'));
  const names = [
    ...Object.values(RUNNER_FILES),
    SESSION_SUPERVISOR_FILE,
    PYTHON_SHARED_FILE,
    PYTHON_DISPLAY_FILE,
    ...Object.values(SESSION_HOLDER_FILES),
    ...EGRESS_FILES,
  ];
  return new Map(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/**
 * argv that starts the supervisor of a session: for Python it is the runtime's own interpreter, which
 * first imports `preload`; for others `python` (an interpreter path) supervises and execs the runtime
 * per run, or once, its state holder, when the session is stateful.
 */
export function sessionCommand(
  spec: RuntimeSpec,
  preload: string[],
  python: string,
  stateful: boolean,
): string[] {
  const supervisor = `${RUNNER_DIR}/${SESSION_SUPERVISOR_FILE}`;
  if (spec.runner === 'python')
    return [spec.interpreter, ...spec.args, supervisor, stateful ? 'python-state' : 'python', ...preload];
  const head = [python, '-I', '-S', supervisor];
  if (!stateful) return [...head, 'exec', spec.interpreter, ...spec.args];
  const holder = SESSION_HOLDER_FILES[spec.runner === 'node' ? 'node' : 'bash'];
  return [...head, 'exec-state', spec.interpreter, ...spec.args, `${RUNNER_DIR}/${holder}`];
}

/** Stands for the script's file name in runner argv; the runner learns the name with its job. */
export const FILE_PLACEHOLDER = '{file}';

/**
 * argv that starts the runner of `spec`; `runnerDir` is where the runner programs are (RUNNER_DIR inside
 * the sandbox, the package's runners dir when unsandboxed); a python runner imports `preload` while it
 * waits. The script itself comes later, with `go`.
 */
export function runtimeCommand(spec: RuntimeSpec, runnerDir = RUNNER_DIR, preload: string[] = []): string[] {
  const runner = `${runnerDir}/${RUNNER_FILES[spec.runner]}`;
  switch (spec.runner) {
    case 'python':
      return [spec.interpreter, ...spec.args, runner, ...preload];
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
