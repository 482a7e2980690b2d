/** Command names the bash rules care about (matched on the basename: `/usr/bin/curl` is `curl`). */
import type { CheckLanguage } from './types.js';

export const NETWORK_COMMANDS: ReadonlySet<string> = new Set([
  'curl',
  'wget',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'ssh',
  'scp',
  'sftp',
  'telnet',
  'ftp',
  'tftp',
  'dig',
  'nslookup',
  'host',
  'aria2c',
  'lynx',
  'w3m',
]);

export const PRIVILEGE_COMMANDS: ReadonlySet<string> = new Set([
  'sudo',
  'su',
  'doas',
  'pkexec',
  'chroot',
  'nsenter',
  'unshare',
  'mount',
  'umount',
  'setcap',
  'capsh',
  'insmod',
  'modprobe',
]);

export const DAEMON_COMMANDS: ReadonlySet<string> = new Set(['nohup', 'disown', 'setsid']);

/** Shells: `-c` takes the code as an argument; without a script file they read code from stdin. */
export const SHELLS: ReadonlySet<string> = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'mksh', 'ash']);

/** Interpreters and the flags that take code as an argument; `check` is the language we can check it as. */
export const INTERPRETERS: ReadonlyMap<string, { flags: readonly string[]; check?: CheckLanguage }> = new Map(
  [
    ['python', { flags: ['-c'], check: 'python' as const }],
    ['python3', { flags: ['-c'], check: 'python' as const }],
    ['python2', { flags: ['-c'] }],
    ['node', { flags: ['-e', '--eval', '-p', '--print'], check: 'javascript' as const }],
    ['nodejs', { flags: ['-e', '--eval', '-p', '--print'], check: 'javascript' as const }],
    ['perl', { flags: ['-e', '-E'] }],
    ['ruby', { flags: ['-e'] }],
    ['php', { flags: ['-r'] }],
  ],
);

/** Commands that run the command given in their arguments (`timeout 5 curl ...`, `xargs curl`). */
export const WRAPPERS: ReadonlySet<string> = new Set([
  'command',
  'builtin',
  'exec',
  'env',
  'nice',
  'ionice',
  'chrt',
  'taskset',
  'nohup',
  'setsid',
  'timeout',
  'time',
  'xargs',
  'parallel',
  'stdbuf',
  'unbuffer',
  'flock',
  'watch',
  'strace',
  'ltrace',
  'busybox',
  'find',
  'sudo',
  'doas',
]);

/** Commands that write to (or change) the files they are given; for the copy family only the target. */
export const WRITERS: ReadonlyMap<string, 'all' | 'last' | 'of='> = new Map([
  ['tee', 'all'],
  ['touch', 'all'],
  ['mkdir', 'all'],
  ['rm', 'all'],
  ['rmdir', 'all'],
  ['chmod', 'all'],
  ['chown', 'all'],
  ['chgrp', 'all'],
  ['truncate', 'all'],
  ['shred', 'all'],
  ['cp', 'last'],
  ['mv', 'last'],
  ['ln', 'last'],
  ['install', 'last'],
  ['dd', 'of='],
] as const);

/** Redirect operators that write. */
export const WRITE_REDIRECTS: ReadonlySet<string> = new Set(['>', '>>', '>|', '&>', '&>>', '<>', '>&']);

/** Anything a wrapper may be running that some rule looks at. */
export function isInteresting(name: string): boolean {
  return (
    NETWORK_COMMANDS.has(name) ||
    PRIVILEGE_COMMANDS.has(name) ||
    DAEMON_COMMANDS.has(name) ||
    SHELLS.has(name) ||
    INTERPRETERS.has(name) ||
    WRAPPERS.has(name) ||
    WRITERS.has(name) ||
    name === 'eval' ||
    name === 'source' ||
    name === '.'
  );
}
