/** Self-test checks for the runtimes: each interpreter exists, is executable, and reports a version. */
import { accessSync, constants } from 'node:fs';
import type { RuntimeSpec } from './runtimes/spec.js';
import { check, messageOf, type SelfTestCheck } from './self-test-check.js';
import { programVersion } from './self-test-probes.js';

/** The environment variable that sets each runner's interpreter, named in the fix of a missing one. */
export type InterpreterVariables = Partial<Record<RuntimeSpec['runner'], string>>;

function interpreterFix(spec: RuntimeSpec, variables: InterpreterVariables): string {
  const variable = variables[spec.runner];
  const install =
    spec.runner === 'python'
      ? 'apt-get install python3'
      : spec.runner === 'node'
        ? 'install Node.js >= 20 (e.g. apt-get install nodejs)'
        : `install ${spec.interpreter}`;
  return variable ? `${install}, or set ${variable} to the interpreter's absolute path` : install;
}

/** One check per runtime (`runtime <name>`). */
export function runtimeChecks(
  runtimes: readonly RuntimeSpec[],
  variables: InterpreterVariables,
): Promise<SelfTestCheck[]> {
  return Promise.all(runtimes.map((spec) => runtimeCheck(spec, variables)));
}

async function runtimeCheck(spec: RuntimeSpec, variables: InterpreterVariables): Promise<SelfTestCheck> {
  const name = `runtime ${spec.name}`;
  const fix = interpreterFix(spec, variables);
  try {
    accessSync(spec.interpreter, constants.X_OK);
  } catch {
    return check(name, false, `${spec.interpreter} is missing or not executable`, fix);
  }
  try {
    return check(
      name,
      true,
      `${spec.interpreter}: ${await programVersion(spec.interpreter, spec.versionArgs)}`,
      '',
    );
  } catch (err) {
    return check(
      name,
      false,
      `${[spec.interpreter, ...spec.versionArgs].join(' ')} failed: ${messageOf(err)}`,
      fix,
    );
  }
}
