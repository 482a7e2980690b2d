/**
 * File descriptors this process would hand to a child without meaning to: any fd >= 3 opened without
 * close-on-exec (typically inherited from whatever started us). bwrap passes such fds on to the script,
 * and a directory fd is a way out of the sandbox, so every spawn overwrites them with /dev/null.
 */
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Numbers of this process's fds >= 3 that an exec would keep open. */
export function inheritableFds(): number[] {
  const fds: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd < 3) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the directory listing's own fd, closed by now
    }
    const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) fds.push(fd);
  }
  return fds;
}

export type StdioEntry = 'pipe' | 'ignore' | number;

/**
 * Extends a spawn stdio array so each inheritable fd beyond it is replaced by /dev/null in the child.
 * Returns the array and a function that closes the /dev/null fd once spawn() has returned.
 */
export function sealStdio(stdio: StdioEntry[]): { stdio: StdioEntry[]; done: () => void } {
  const leaked = inheritableFds().filter((fd) => fd >= stdio.length);
  if (leaked.length === 0) return { stdio, done: () => undefined };
  const devNull = openSync('/dev/null', 'r+');
  const sealed = [...stdio];
  for (const fd of leaked) {
    while (sealed.length < fd) sealed.push('ignore');
    sealed[fd] = devNull;
  }
  return { stdio: sealed, done: () => closeSync(devNull) };
}
