/**
 * The seccomp filter every sandbox runs under, built from the table in seccomp-table.ts.
 *
 * - `run`: for every process that runs script code (one-shot and pooled sandboxes, and each session
 *   run, whose runner installs it itself).
 * - `supervisor`: for a session's trusted resident runner, which creates each run's fresh pid and mount
 *   namespace. The same as `run`, except that unshare and clone may ask for CLONE_NEWPID and/or
 *   CLONE_NEWNS, and mount, umount2 and setns are allowed. The `run` filter stacks on top of it in runs.
 *
 * bwrap installs the filter (`--seccomp FD`) right before it executes the command; the filter's bytes
 * reach it on a pipe (see engine/launcher.ts).
 */
import { SandboxUnavailableError } from '../errors.js';
import { compileFilter, encodeFilter, type CompiledRule, type Insn } from './seccomp-bpf.js';
import {
  AUDIT_ARCH,
  SECCOMP_TABLE,
  SYSCALL_NUMBERS,
  X32_SYSCALL_BIT,
  type SeccompArch,
  type SeccompProfile,
  type SeccompRule,
} from './seccomp-table.js';

export {
  SECCOMP_ABI_RULES,
  type SeccompAction,
  type SeccompArch,
  type SeccompProfile,
  type SeccompRule,
} from './seccomp-table.js';

/** The architecture of this process, or SandboxUnavailableError when the filter does not support it. */
export function seccompArch(arch: string = process.arch): SeccompArch {
  if (arch === 'x64' || arch === 'arm64') return arch;
  throw new SandboxUnavailableError(
    `the seccomp filter is not built for the ${arch} architecture (supported: x64, arm64); ` +
      'scriptbox refuses to run sandboxes without it',
  );
}

/** The rules of `profile` that exist on `arch` (a call the architecture lacks cannot be made there). */
export function seccompRules(profile: SeccompProfile, arch: SeccompArch = seccompArch()): SeccompRule[] {
  return compiledRules(profile, arch).map(({ rule }) => rule);
}

/** Every rule as listed in the table (all architectures, the `run` profile), for docs and the doctor. */
export const SECCOMP_RULES: readonly SeccompRule[] = SECCOMP_TABLE.map(({ syscall, action, when, reason }) =>
  when === undefined ? { syscall, action, reason } : { syscall, action, when, reason },
);

/** The call number of `name` on `arch`; throws if the architecture has no such call. */
export function syscallNumber(name: string, arch: SeccompArch = seccompArch()): number {
  const nr = SYSCALL_NUMBERS[arch][name];
  if (nr === undefined) throw new Error(`no system call ${name} on ${arch}`);
  return nr;
}

function compiledRules(
  profile: SeccompProfile,
  arch: SeccompArch,
): Array<{ rule: SeccompRule; compiled: CompiledRule }> {
  const out: Array<{ rule: SeccompRule; compiled: CompiledRule }> = [];
  for (const row of SECCOMP_TABLE) {
    const nr = SYSCALL_NUMBERS[arch][row.syscall];
    if (nr === undefined) continue;
    const override = profile === 'supervisor' ? row.supervisor : undefined;
    if (override === 'allow') continue;
    const condition = override?.condition ?? row.condition;
    const when = override?.when ?? row.when;
    out.push({
      rule: {
        syscall: row.syscall,
        action: row.action,
        ...(when !== undefined ? { when } : {}),
        reason: row.reason,
      },
      compiled: { nr, action: row.action, ...(condition !== undefined ? { condition } : {}) },
    });
  }
  return out;
}

/** The filter as instructions, for tests and inspection. */
export function seccompProgram(profile: SeccompProfile, arch: SeccompArch = seccompArch()): Insn[] {
  return compileFilter({
    auditArch: AUDIT_ARCH[arch],
    ...(arch === 'x64' ? { killNrBit: X32_SYSCALL_BIT } : {}),
    rules: compiledRules(profile, arch).map(({ compiled }) => compiled),
  });
}

const cache = new Map<string, Uint8Array>();

/**
 * The bytes of the filter (`struct sock_filter[]`) for bwrap's `--seccomp FD`; built once per process
 * and profile. Throws SandboxUnavailableError on an architecture the filter does not support.
 */
export function buildSeccompFilter(profile: SeccompProfile, arch: SeccompArch = seccompArch()): Uint8Array {
  const key = `${profile}/${arch}`;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    bytes = encodeFilter(seccompProgram(profile, arch));
    cache.set(key, bytes);
  }
  return bytes;
}
