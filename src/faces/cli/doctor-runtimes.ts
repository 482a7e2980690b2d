/** Doctor checks for the runtime registry: each interpreter exists, is executable, and reports a version. */
import { accessSync, constants } from 'node:fs';
import type { EnvVarName } from '../../config.js';
import { createEngine } from '../../engine/engine.js';
import type { RuntimeSpec } from '../../sandbox/runtimes/spec.js';
import { programVersion } from './doctor-probes.js';
import { check, messageOf, type DoctorCheck } from './doctor-report.js';

const INTERPRETER_ENV: Partial<Record<RuntimeSpec['runner'], EnvVarName>> = {
  python: 'SCRIPTBOX_PYTHON',
  node: 'SCRIPTBOX_NODE',
};

function interpreterFix(spec: RuntimeSpec): string {
  const variable = INTERPRETER_ENV[spec.runner];
  const install =
    spec.runner === 'python'
      ? 'apt-get install python3'
      : spec.runner === 'node'
        ? 'install Node.js >= 20 (e.g. apt-get install nodejs)'
        : `install ${spec.interpreter}`;
  return variable ? `${install}, or set ${variable} to the interpreter's absolute path` : install;
}

export async function runtimeChecks(): Promise<DoctorCheck[]> {
  // An unsandboxed engine needs no bwrap or cgroups: it is only asked for its runtime registry here.
  const engine = await createEngine({ unsafeNoSandbox: true });
  try {
    return await Promise.all(engine.runtimes.list().map((spec) => runtimeCheck(spec)));
  } finally {
    await engine.close();
  }
}

async function runtimeCheck(spec: RuntimeSpec): Promise<DoctorCheck> {
  const name = `runtime ${spec.name}`;
  try {
    accessSync(spec.interpreter, constants.X_OK);
  } catch {
    return check(name, false, `${spec.interpreter} is missing or not executable`, interpreterFix(spec));
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
      interpreterFix(spec),
    );
  }
}
