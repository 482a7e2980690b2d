/**
 * The sandbox self-test (`scriptbox doctor` prints it): checks every requirement of a sandboxed run
 * (bubblewrap, cgroup controllers, host uids, that a script runs isolated: namespaces, uid, network,
 * filesystem, environment, seccomp; the interpreters; the Python data libraries) and says how to fix each
 * missing one. Required checks decide whether scriptbox can run scripts here. engine/self-test.ts runs it
 * with this host's settings and an engine to run the probes.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupManager } from './cgroups.js';
import { findExecutable } from './executable.js';
import type { SandboxOpts } from './options.js';
import { scriptEnv } from './runtimes/command.js';
import type { RuntimeSpec } from './runtimes/spec.js';
import {
  check,
  messageOf,
  selfTestReport,
  type SelfTestCheck,
  type SelfTestReport,
} from './self-test-check.js';
import {
  DATA_LIBRARIES,
  hostNamespaces,
  leakedEnv,
  probeDataLibraries,
  probeIsolation,
  probeSeccomp,
  programVersion,
  sharedNamespaces,
  type LibraryProbe,
  type ProbeOutcome,
  type ProbeRunner,
  type SeccompProbe,
} from './self-test-probes.js';
import { runtimeChecks, type InterpreterVariables } from './self-test-runtimes.js';
import { uidChecks } from './self-test-uids.js';

const DATA_LIBS_FIX =
  'apt-get install python3-pandas python3-numpy python3-scipy python3-sklearn python3-matplotlib';
const USERNS_FIX =
  'allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 (and on Debian ' +
  'kernel.unprivileged_userns_clone=1; on Ubuntu >= 23.10 kernel.apparmor_restrict_unprivileged_userns=0)';
const REPORT_FIX =
  'scriptbox did not isolate as designed: report this with the output of `scriptbox doctor --json`';

/** What runs the probes: an engine without a warm pool (createEngine({ pool: { size: 0 } })). */
export interface SelfTestRunner extends ProbeRunner {
  readonly runtimes: { resolve(language: string): RuntimeSpec };
  close(): Promise<void>;
}

export interface SelfTestOpts {
  /** The sandbox settings after precedence (options > environment > defaults). */
  sandbox: SandboxOpts;
  /** The runtimes whose interpreters to check. */
  runtimes: readonly RuntimeSpec[];
  /** The environment variable that sets each runner's interpreter, named in the fixes. */
  interpreterVariables: InterpreterVariables;
  /** Starts what runs the probes in a sandbox; closed once they ran. A failure is reported, not thrown. */
  openRunner: () => Promise<SelfTestRunner>;
}

export async function selfTest(opts: SelfTestOpts): Promise<SelfTestReport> {
  const [bwrap, uids, sandbox, runtimes] = await Promise.all([
    checkBwrap(opts.sandbox.bwrapPath),
    uidChecks(opts.sandbox),
    sandboxChecks(opts.openRunner),
    runtimeChecks(opts.runtimes, opts.interpreterVariables),
  ]);
  return selfTestReport([
    bwrap,
    checkCgroups(),
    ...uids,
    ...sandbox.isolation,
    ...runtimes,
    sandbox.libraries,
  ]);
}

/** The report when the settings themselves are invalid (`err` says which): nothing else can be checked. */
export function configurationFailed(err: unknown, variables: readonly string[]): SelfTestReport {
  const fix = `fix or unset the variables named above (${variables.join(', ')})`;
  return selfTestReport([check('configuration', false, messageOf(err), fix)]);
}

async function checkBwrap(name: string): Promise<SelfTestCheck> {
  const fix = 'apt-get install bubblewrap (or set SCRIPTBOX_BWRAP to its path)';
  try {
    const path = findExecutable(name);
    return check('bwrap', true, `${path}: ${await programVersion(path, ['--version'])}`, fix);
  } catch (err) {
    return check('bwrap', false, messageOf(err), fix);
  }
}

function checkCgroups(): SelfTestCheck {
  try {
    const manager = CgroupManager.open();
    const { memory, pids } = manager.version;
    manager.close();
    return check(
      'cgroups',
      true,
      `memory (cgroup v${memory}) and pids (cgroup v${pids}) controllers usable`,
      '',
    );
  } catch (err) {
    return check(
      'cgroups',
      false,
      'cannot create cgroups with the memory and pids controllers',
      messageOf(err),
    );
  }
}

interface SandboxChecks {
  isolation: SelfTestCheck[];
  libraries: SelfTestCheck;
}

const ISOLATION_CHECKS = [
  'namespaces',
  'sandbox uid',
  'sandbox network',
  'sandbox filesystem',
  'sandbox environment',
  'seccomp',
];

function notChecked(why: string, fix: string): SandboxChecks {
  const skipped = (name: string, required = true): SelfTestCheck =>
    check(name, false, `not checked: ${why}`, 'fix the sandbox check first', required);
  return {
    isolation: [check('sandbox', false, why, fix), ...ISOLATION_CHECKS.map((name) => skipped(name))],
    libraries: skipped('python data libraries', false),
  };
}

async function sandboxChecks(openRunner: () => Promise<SelfTestRunner>): Promise<SandboxChecks> {
  let runner: SelfTestRunner;
  try {
    runner = await openRunner();
  } catch (err) {
    return notChecked('cannot create a sandbox', messageOf(err));
  }
  const markerDir = mkdtempSync(join(tmpdir(), 'scriptbox-doctor-'));
  try {
    writeFileSync(join(markerDir, 'marker'), 'host /tmp must not be visible in the sandbox\n');
    const hostPaths = [...hostDirEntries(), join(markerDir, 'marker')];
    const [isolation, libraries, seccomp] = await Promise.all([
      probeIsolation(runner, hostPaths),
      probeDataLibraries(runner),
      probeSeccomp(runner).catch((err: unknown) => messageOf(err)),
    ]);
    return {
      isolation: isolationChecks(isolation, hostPaths, runner, seccomp),
      libraries: libraryCheck(libraries),
    };
  } finally {
    rmSync(markerDir, { recursive: true, force: true });
    await runner.close();
  }
}

function isolationChecks(
  { result, report }: ProbeOutcome,
  hostPaths: string[],
  runner: SelfTestRunner,
  seccomp: SeccompProbe | string,
): SelfTestCheck[] {
  if (report === null) {
    const why = result.error
      ? `${result.error.kind}: ${result.error.message}`
      : 'the probe printed no report';
    const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return notChecked(
      `a trivial python script failed in the sandbox (${why})${stderr ? `: ${stderr}` : ''}`,
      USERNS_FIX,
    ).isolation;
  }
  const shared = sharedNamespaces(report, hostNamespaces());
  const others = report.interfaces.filter((name) => name !== 'lo');
  const leaked = leakedEnv(report, Object.keys(scriptEnv(runner.runtimes.resolve('python'))));
  const none = (items: string[]): string => (items.length === 0 ? 'none' : items.join(', '));
  return [
    check('sandbox', true, `a python script ran in ${result.usage.wallMs} ms`, ''),
    check(
      'namespaces',
      shared.length === 0,
      shared.length === 0
        ? 'new user, pid, net, ipc, uts, mnt and cgroup namespaces'
        : `shared: ${shared.join(', ')}`,
      USERNS_FIX,
    ),
    check('sandbox uid', report.uid !== 0, `the script runs as uid ${report.uid}`, REPORT_FIX),
    check(
      'sandbox network',
      others.length === 0,
      `interfaces: ${report.interfaces.join(', ') || 'none'}`,
      `the sandbox sees ${others.join(', ')}: ${REPORT_FIX}`,
    ),
    check(
      'sandbox filesystem',
      report.visible.length === 0,
      `host paths visible: ${none(report.visible)} (checked ${hostPaths.length}: home, project, /tmp)`,
      REPORT_FIX,
    ),
    check('sandbox environment', leaked.length === 0, `host variables visible: ${none(leaked)}`, REPORT_FIX),
    seccompCheck(seccomp),
  ];
}

function seccompCheck(probe: SeccompProbe | string): SelfTestCheck {
  const fix = 'the seccomp filter did not hold in the sandbox: ' + REPORT_FIX;
  if (typeof probe === 'string') return check('seccomp', false, probe, fix);
  const detail = probe.holds
    ? `filter with ${probe.rules} rules installed; io_uring_setup refused with EPERM`
    : `filter (${probe.rules} rules) not in effect: ${probe.seen}`;
  return check('seccomp', probe.holds, detail, fix);
}

function libraryCheck({ versions, failures }: LibraryProbe): SelfTestCheck {
  const failed = Object.entries(failures);
  const detail = DATA_LIBRARIES.map((name) => `${name} ${versions[name] ?? 'FAILED'}`).join(', ');
  const errors = failed.map(([name, error]) => `${name}: ${error}`).join('; ');
  const notInstalled = failed.every(([, error]) => error.startsWith('ModuleNotFoundError'));
  const fix = notInstalled
    ? DATA_LIBS_FIX
    : 'installed, but it does not import inside the sandbox (a file it needs is not mounted there): ' +
      'report this with the output of `scriptbox doctor --json`';
  return check(
    'python data libraries',
    failed.length === 0,
    failed.length ? `${detail} (${errors})` : detail,
    fix,
    false,
  );
}

/** One existing entry of each host directory that must stay invisible (home, /root, the current dir). */
function hostDirEntries(): string[] {
  const dirs = [...new Set([homedir(), '/root', process.cwd()])].filter((dir) => dir !== '/');
  return dirs.flatMap((dir) => {
    try {
      const first = readdirSync(dir).sort()[0];
      return [first === undefined ? dir : join(dir, first)];
    } catch {
      return [];
    }
  });
}
