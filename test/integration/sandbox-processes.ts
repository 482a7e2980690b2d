/**
 * Finding the live processes of one test's sandboxes: give its engine a disk size no other test uses, and
 * every bwrap command line of that engine carries `--size <bytes>`; its processes are those bwraps and
 * everything below them. And waiting for a process (the CLI) to start a sandbox.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** The bwrap argument that marks sandboxes whose engine has `diskMb`. */
export const diskMarker = (diskMb: number): string => `--size ${diskMb * 1_048_576} `;

/** Live processes under a bwrap whose command line holds `marker`, as `pid: command` lines. */
export function markedSandboxProcesses(marker: string): string[] {
  const parentOf = new Map<number, number>();
  const cmdlines = new Map<number, string>();
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      cmdlines.set(Number(name), readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // exited while we looked
    }
  }
  const ours = (pid: number): boolean => {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parentOf.get(at)) {
      if ((cmdlines.get(at) ?? '').includes(marker)) return true;
    }
    return false;
  };
  return [...cmdlines].filter(([pid]) => ours(pid)).map(([pid, cmd]) => `${pid}: ${cmd.slice(0, 120)}`);
}

/** Resolves once `parent` has a bwrap child (a run is under way), or once `parent` is gone. */
export async function bwrapStarted(parent: number): Promise<void> {
  while (existsSync(`/proc/${parent}`)) {
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [, comm, ppid] = /^\d+ \((.*)\) \S+ (\d+) /.exec(stat) ?? [];
        if (comm === 'bwrap' && Number(ppid) === parent) return;
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Live host processes (not this one) whose command line holds `marker`: a script's child, seen from the host. */
export function processesWithMarker(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}
