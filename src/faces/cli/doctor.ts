/**
 * `scriptbox doctor`: checks every requirement of a sandboxed run and says how to fix each missing one.
 * Returns a structured report (doctor-report.ts renders it). Required checks decide the exit code.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV_VARS, readEnv, resolveSandboxOpts } from '../../config.js';
import { createEngine, findExecutable, type Engine } from '../../engine/engine.js';
import { CgroupManager } from '../../sandbox/cgroups.js';
import { scriptEnv } from '../../sandbox/runtimes/command.js';
import {
  DATA_LIBRARIES,
  hostNamespaces,
  leakedEnv,
  probeDataLibraries,
  probeIsolation,
  programVersion,
  sharedNamespaces,
  type LibraryProbe,
  type ProbeOutcome,
} from './doctor-probes.js';
import { check, messageOf, type DoctorCheck, type DoctorReport } from './doctor-report.js';
import { runtimeChecks } from './doctor-runtimes.js';

export type { DoctorCheck, DoctorReport } from './doctor-report.js';

const DATA_LIBS_FIX =
  'apt-get install python3-pandas python3-numpy python3-scipy python3-sklearn python3-matplotlib';
const USERNS_FIX =
  'allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 (and on Debian ' +
  'kernel.unprivileged_userns_clone=1; on Ubuntu >= 23.10 kernel.apparmor_restrict_unprivileged_userns=0)';
const REPORT_FIX =
  'scriptbox did not isolate as designed: report this with the output of `scriptbox doctor --json`';

export async function runDoctor(): Promise<DoctorReport> {
  let bwrapPath: string;
  try {
    const env = readEnv();
    bwrapPath = resolveSandboxOpts({}, env).bwrapPath;
  } catch (err) {
    const fix = `fix or unset the variables named above (${Object.keys(ENV_VARS).join(', ')})`;
    return finish([check('configuration', false, messageOf(err), fix)]);
  }
  const [bwrap, sandbox, runtimes] = await Promise.all([
    checkBwrap(bwrapPath),
    sandboxChecks(),
    runtimeChecks(),
  ]);
  return finish([bwrap, checkCgroups(), ...sandbox.isolation, ...runtimes, sandbox.libraries]);
}

function finish(checks: DoctorCheck[]): DoctorReport {
  return { ok: checks.every((c) => c.ok || !c.required), checks };
}

async function checkBwrap(name: string): Promise<DoctorCheck> {
  const fix = 'apt-get install bubblewrap (or set SCRIPTBOX_BWRAP to its path)';
  try {
    const path = findExecutable(name);
    return check('bwrap', true, `${path}: ${await programVersion(path, ['--version'])}`, fix);
  } catch (err) {
    return check('bwrap', false, messageOf(err), fix);
  }
}

function checkCgroups(): DoctorCheck {
  try {
    const manager = CgroupManager.open(`scriptbox-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
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
  isolation: DoctorCheck[];
  libraries: DoctorCheck;
}

const ISOLATION_CHECKS = [
  'namespaces',
  'sandbox uid',
  'sandbox network',
  'sandbox filesystem',
  'sandbox environment',
];

function notChecked(why: string, fix: string): SandboxChecks {
  const skipped = (name: string, required = true): DoctorCheck =>
    check(name, false, `not checked: ${why}`, 'fix the sandbox check first', required);
  return {
    isolation: [check('sandbox', false, why, fix), ...ISOLATION_CHECKS.map((name) => skipped(name))],
    libraries: skipped('python data libraries', false),
  };
}

async function sandboxChecks(): Promise<SandboxChecks> {
  let engine: Engine;
  try {
    engine = await createEngine({ pool: { size: 0 } });
  } catch (err) {
    return notChecked('cannot create a sandbox', messageOf(err));
  }
  const markerDir = mkdtempSync(join(tmpdir(), 'scriptbox-doctor-'));
  try {
    writeFileSync(join(markerDir, 'marker'), 'host /tmp must not be visible in the sandbox\n');
    const hostPaths = [...hostDirEntries(), join(markerDir, 'marker')];
    const [isolation, libraries] = await Promise.all([
      probeIsolation(engine, hostPaths),
      probeDataLibraries(engine),
    ]);
    return { isolation: isolationChecks(isolation, hostPaths, engine), libraries: libraryCheck(libraries) };
  } finally {
    rmSync(markerDir, { recursive: true, force: true });
    await engine.close();
  }
}

function isolationChecks(
  { result, report }: ProbeOutcome,
  hostPaths: string[],
  engine: Engine,
): DoctorCheck[] {
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
  const leaked = leakedEnv(report, Object.keys(scriptEnv(engine.runtimes.resolve('python'))));
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
  ];
}

function libraryCheck({ versions, failures }: LibraryProbe): DoctorCheck {
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
