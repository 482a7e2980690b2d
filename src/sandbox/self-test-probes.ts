/**
 * Probes that look at a sandbox from the inside: a small Python script reports its uid, network
 * interfaces, namespaces, environment and whether chosen host paths are visible; the host compares.
 * Reusable by anything that wants to self-test an engine (doctor today, a server's health check later).
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { z } from 'zod';
import type { PartialLimits } from './limits.js';
import type { RunError } from './result-types.js';
import { seccompRules, syscallNumber } from './seccomp.js';

/** What a probe reads of a run's result (the engine's RunResult has it all). */
export interface ProbeRunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  error: RunError | null;
  usage: { wallMs: number };
}

/** What runs the probes in a sandbox: an engine, handed in by whoever created it (engine/self-test.ts). */
export interface ProbeRunner {
  run(opts: { language: string; source: string; limits?: PartialLimits }): Promise<ProbeRunResult>;
}

export const NAMESPACES = ['user', 'pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'] as const;

const ProbeReportSchema = z.object({
  uid: z.number(),
  interfaces: z.array(z.string()),
  visible: z.array(z.string()),
  namespaces: z.record(z.string(), z.string()),
  env: z.record(z.string(), z.string()),
});
export type ProbeReport = z.infer<typeof ProbeReportSchema>;

export interface ProbeOutcome {
  result: ProbeRunResult;
  /** null when the script did not print a parsable report. */
  report: ProbeReport | null;
}

function isolationProbeSource(hostPaths: string[]): string {
  return [
    'import json, os',
    `PATHS = ${JSON.stringify(hostPaths)}`,
    `NAMESPACES = ${JSON.stringify(NAMESPACES)}`,
    "with open('/proc/net/dev') as f:",
    "    interfaces = [line.split(':')[0].strip() for line in f.readlines()[2:] if ':' in line]",
    'print(json.dumps({',
    "    'uid': os.getuid(),",
    "    'interfaces': interfaces,",
    "    'visible': [p for p in PATHS if os.path.lexists(p)],",
    "    'namespaces': {n: os.readlink('/proc/self/ns/' + n) for n in NAMESPACES},",
    "    'env': dict(os.environ),",
    '}))',
  ].join('\n');
}

/** Runs the isolation probe with `runner`; `hostPaths` are host paths that must not be visible inside. */
export async function probeIsolation(runner: ProbeRunner, hostPaths: string[]): Promise<ProbeOutcome> {
  const result = await runner.run({ language: 'python', source: isolationProbeSource(hostPaths) });
  if (!result.ok) return { result, report: null };
  try {
    return { result, report: ProbeReportSchema.parse(JSON.parse(result.stdout)) };
  } catch {
    return { result, report: null };
  }
}

export interface SeccompProbe {
  result: ProbeRunResult;
  /** Rules of the `run` filter on this architecture. */
  rules: number;
  /** Whether the sandboxed script ran under a filter and io_uring_setup failed with EPERM. */
  holds: boolean;
  /** What the script saw: `Seccomp: <mode>, io_uring_setup: <ret> errno <n>`. */
  seen: string;
}

/**
 * Checks the seccomp filter from inside a sandbox: /proc/self/status shows filter mode (2), and a call the
 * table refuses (io_uring_setup) fails with EPERM. Fails closed: anything else, a crash included, fails.
 */
export async function probeSeccomp(runner: ProbeRunner): Promise<SeccompProbe> {
  const rules = seccompRules('run').length;
  const nr = syscallNumber('io_uring_setup');
  const source = [
    'import ctypes',
    'libc = ctypes.CDLL(None, use_errno=True)',
    `ret = libc.syscall(${nr}, 1, 0)`,
    'errno = ctypes.get_errno()',
    "mode = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')]",
    "print('SECCOMP', mode[0] if mode else 'none', ret, errno)",
  ].join('\n');
  const result = await runner.run({ language: 'python', source });
  const match = /^SECCOMP (\S+) (-?\d+) (\d+)$/m.exec(result.stdout);
  if (!match) {
    const seen = result.error
      ? `${result.error.kind}: ${result.error.message}`
      : 'the probe printed no report';
    return { result, rules, holds: false, seen };
  }
  const [, mode, ret, errno] = match;
  return {
    result,
    rules,
    holds: mode === '2' && ret === '-1' && errno === '1',
    seen: `Seccomp: ${mode}, io_uring_setup: ${ret} errno ${errno}`,
  };
}

/** The host's own namespace ids (`net:[4026531840]`), to compare with the sandbox's. */
export function hostNamespaces(): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const name of NAMESPACES) {
    try {
      ids[name] = readlinkSync(`/proc/self/ns/${name}`);
    } catch {
      ids[name] = 'unavailable';
    }
  }
  return ids;
}

/** Namespaces the sandbox shares with the host (empty when isolation is complete). */
export function sharedNamespaces(report: ProbeReport, host: Record<string, string>): string[] {
  return NAMESPACES.filter((name) => {
    const inside = report.namespaces[name];
    return inside === undefined || inside === host[name];
  });
}

/** Host variables that reached the sandbox with the same value, except those the runtime sets itself. */
export function leakedEnv(report: ProbeReport, ownNames: readonly string[]): string[] {
  return Object.entries(report.env)
    .filter(([name, value]) => !ownNames.includes(name) && process.env[name] === value)
    .map(([name]) => name);
}

export const DATA_LIBRARIES = ['pandas', 'numpy', 'scipy', 'sklearn', 'matplotlib'] as const;

export interface LibraryProbe {
  result: ProbeRunResult;
  versions: Record<string, string>;
  /** Libraries that did not import, with the error (`ModuleNotFoundError: ...` when not installed). */
  failures: Record<string, string>;
}

/** Imports the Python data libraries inside the sandbox and reports their versions or import errors. */
export async function probeDataLibraries(runner: ProbeRunner): Promise<LibraryProbe> {
  const source = [
    'import importlib',
    `for name in ${JSON.stringify(DATA_LIBRARIES)}:`,
    '    try:',
    "        print(name, 'ok', getattr(importlib.import_module(name), '__version__', '?'))",
    '    except Exception as err:',
    "        print(name, 'error', type(err).__name__ + ': ' + ' '.join(str(err).split()))",
  ].join('\n');
  const result = await runner.run({
    language: 'python',
    source,
    limits: { timeoutMs: 60_000, cpuMs: 60_000, memoryMb: 1024 },
  });
  const versions: Record<string, string> = {};
  const failures: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^(\S+) (ok|error) (.*)$/.exec(line);
    if (match?.[1] === undefined || match[3] === undefined) continue;
    if (match[2] === 'ok') versions[match[1]] = match[3];
    else failures[match[1]] = match[3];
  }
  for (const name of DATA_LIBRARIES) {
    if (versions[name] === undefined && failures[name] === undefined) {
      failures[name] = result.error ? `${result.error.kind}: ${result.error.message}` : 'not reported';
    }
  }
  return { result, versions, failures };
}

/** First line an executable prints for `args` (stdout, else stderr), with a cleared environment. */
export function programVersion(file: string, args: string[], timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: {}, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const line = `${stdout}\n${stderr}`.split('\n').find((text) => text.trim() !== '');
      if (err)
        reject(new Error(err.killed ? `no answer within ${timeoutMs} ms` : (line?.trim() ?? err.message)));
      else resolve(line?.trim() ?? '(no version output)');
    });
  });
}
