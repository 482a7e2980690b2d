/**
 * Builds the bubblewrap command line for one sandbox. Pure: no I/O except looking at which
 * top-level host paths are symlinks (merged /usr) so the sandbox mirrors them.
 */
import { lstatSync, readlinkSync } from 'node:fs';

/** File descriptors every sandbox process is started with (index in the spawn stdio array). */
export const FD = {
  /** runner -> host: `ready`, then `ok` or `syntax <line> <col>\n<message>`; closed before user code runs. */
  status: 3,
  /** host -> bwrap: bwrap waits here after mounting and chroot, before starting the command. */
  block: 4,
  /** bwrap -> host: JSON lines with child-pid and exit-code. */
  json: 5,
  /** host -> runner: one byte once the host holds the sandbox's work dir; runners close it after. */
  go: 6,
  /** First fd carrying file data for --ro-bind-data. */
  firstData: 7,
} as const;

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const WORK_DIR = '/work';
export const RUNNER_DIR = '/.scriptbox';

/**
 * /etc entries runtimes need that hold nothing secret (missing ones are skipped): the dynamic linker's
 * cache, Debian's alternatives symlinks (awk, editor...), the host's time zone, and the matplotlibrc
 * Debian's matplotlib refuses to import without. Each bind costs a mount: keep this list short.
 */
const SAFE_ETC = ['/etc/ld.so.cache', '/etc/alternatives', '/etc/localtime', '/etc/matplotlibrc'];

/**
 * Fontconfig's configuration and the system font cache (the fonts are under /usr). Without them every
 * matplotlib run prints `Fontconfig error: Cannot load default config file` (its font manager asks
 * fc-list) and rescans the fonts; with the cache bound read-only nothing is written.
 */
const FONT_CONFIG = ['/etc/fonts', '/var/cache/fontconfig'];

/** Top-level directories that are symlinks into /usr on merged-/usr systems, or real dirs elsewhere. */
const USR_LINKED = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export interface DataFile {
  /** Absolute path inside the sandbox. */
  dest: string;
  /** Index of the fd in the spawn stdio array that carries its bytes. */
  fd: number;
  mode?: number;
}

/** A host path bound read-only at another place in the sandbox. */
export interface Bind {
  src: string;
  dest: string;
  /** Skipped when the host path is missing (else bwrap fails to start). */
  optional?: boolean;
}

export interface SandboxLayout {
  diskBytes: number;
  /** Host paths bound read-only at the same place (beyond /usr and the safe /etc entries). */
  extraMounts: string[];
  /** Host paths bound read-only elsewhere (a granted sandbox's egress socket, CA certificates). */
  binds?: Bind[];
  /**
   * Host directories bound read-only from an open fd (index in the spawn stdio array): the host opens them,
   * so the sandbox's host uid needs no access to their path (npm undici under a private home).
   */
  dirFds?: DataFile[];
  dataFiles: DataFile[];
  env: Record<string, string>;
  command: string[];
  /** Index of the fd in the spawn stdio array that carries the seccomp filter (see seccomp.ts). */
  seccompFd?: number;
  /** Capabilities kept after `--cap-drop ALL` (a session supervisor's CAP_SYS_ADMIN in its user ns). */
  capAdd?: string[];
}

export function buildBwrapArgs(layout: SandboxLayout): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...(layout.capAdd ?? []).flatMap((cap) => ['--cap-add', cap]),
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_GID),
    '--hostname',
    'scriptbox',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of USR_LINKED) args.push(...mirrorTopLevel(dir));
  for (const path of [...SAFE_ETC, ...FONT_CONFIG]) args.push('--ro-bind-try', path, path);
  for (const path of layout.extraMounts) args.push('--ro-bind', path, path);
  for (const bind of layout.binds ?? [])
    args.push(bind.optional === true ? '--ro-bind-try' : '--ro-bind', bind.src, bind.dest);
  for (const dir of layout.dirFds ?? []) args.push('--ro-bind-fd', String(dir.fd), dir.dest);
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--size', String(layout.diskBytes), '--tmpfs', '/dev/shm');
  // bwrap's /dev is a tmpfs without a size cap: device nodes stay usable, new files are refused.
  args.push('--remount-ro', '/dev');
  args.push('--size', String(layout.diskBytes), '--tmpfs', '/tmp');
  args.push('--size', String(layout.diskBytes), '--perms', '0755', '--tmpfs', WORK_DIR);
  for (const file of layout.dataFiles) {
    args.push('--perms', (file.mode ?? 0o444).toString(8), '--ro-bind-data', String(file.fd), file.dest);
  }
  args.push('--dir', `${WORK_DIR}/out`);
  args.push('--remount-ro', '/');
  args.push('--chdir', WORK_DIR);
  args.push('--clearenv');
  for (const [key, value] of Object.entries(layout.env)) args.push('--setenv', key, value);
  if (layout.seccompFd !== undefined) args.push('--seccomp', String(layout.seccompFd));
  args.push('--block-fd', String(FD.block), '--json-status-fd', String(FD.json));
  args.push('--', ...layout.command);
  return args;
}

function mirrorTopLevel(dir: string): string[] {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) return ['--symlink', readlinkSync(dir), dir];
    if (stat.isDirectory()) return ['--ro-bind', dir, dir];
  } catch {
    // absent on this system: nothing to mirror
  }
  return [];
}

/** The sandbox's own /etc/passwd, /etc/group and /etc/hosts: one unprivileged user, loopback only. */
export function syntheticEtc(): Record<string, string> {
  return {
    '/etc/passwd': `root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nsandbox:x:${SANDBOX_UID}:${SANDBOX_GID}:sandbox:${WORK_DIR}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    '/etc/group': `root:x:0:\nsandbox:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`,
    '/etc/hosts': '127.0.0.1 localhost scriptbox\n::1 localhost ip6-localhost\n',
    '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files\n',
  };
}
