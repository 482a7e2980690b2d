/**
 * The sandbox self-test (sandbox/self-test.ts) with this host's settings: the sandbox settings from the
 * environment, the runtimes an engine has, and an engine to run the probes. What `scriptbox doctor` runs.
 */
import { ENV_VARS, readEnv, type EnvVarName } from '../config.js';
import type { SandboxOpts } from '../sandbox/options.js';
import type { RuntimeSpec } from '../sandbox/runtimes/spec.js';
import { configurationFailed, selfTest } from '../sandbox/self-test.js';
import { selfTestReport, type SelfTestReport } from '../sandbox/self-test-check.js';
import { createEngine } from './engine.js';
import { resolveSandboxOpts } from './resolve-options.js';
import { networkCheck } from './self-test-network.js';

const INTERPRETER_VARIABLES = {
  python: 'SCRIPTBOX_PYTHON',
  node: 'SCRIPTBOX_NODE',
} as const satisfies Partial<Record<RuntimeSpec['runner'], EnvVarName>>;

export async function runSelfTest(): Promise<SelfTestReport> {
  let sandbox: SandboxOpts;
  try {
    sandbox = resolveSandboxOpts({}, readEnv());
  } catch (err) {
    return configurationFailed(err, Object.keys(ENV_VARS));
  }
  const report = await selfTest({
    sandbox,
    runtimes: await registeredRuntimes(),
    interpreterVariables: INTERPRETER_VARIABLES,
    openRunner: () => createEngine({ pool: { size: 0 } }),
  });
  // Granted network needs a working sandbox first: checked only on top of one.
  if (!report.ok) return report;
  return selfTestReport([...report.checks, await networkCheck()]);
}

/** The runtimes an engine has here (an unsandboxed engine: it needs no bwrap or cgroups to list them). */
async function registeredRuntimes(): Promise<RuntimeSpec[]> {
  const engine = await createEngine({ unsafeNoSandbox: true });
  try {
    return engine.runtimes.list();
  } finally {
    await engine.close();
  }
}
