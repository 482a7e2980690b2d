/**
 * Host-wide leases on names, shared by every scriptbox process of this host (and every engine in each):
 * a lease is a listening Unix socket in the abstract namespace (Linux), bound at once or refused. The
 * kernel makes the claim atomic and drops it when its holder closes it or dies, so no lease outlives its
 * process and nothing is left to clean up. Abstract names belong to a network namespace: every sandbox
 * has its own, so no script can take or see one.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** A held name; release() is idempotent. */
export interface HostLease {
  readonly name: string;
  release(): void;
}

/**
 * Takes `name` for this process, or returns null when a live process holds it. Synchronous: Node binds a
 * Unix socket inside listen() and only reports a failure later, as an 'error' event.
 */
export function claimHostName(name: string): HostLease | null {
  const server: Server = createServer();
  server.on('error', () => undefined); // EADDRINUSE arrives on the next tick: `listening` already said so
  server.listen({ path: `\0${name}` });
  if (!server.listening) {
    server.close(() => undefined);
    return null;
  }
  server.unref();
  let held = true;
  return {
    name,
    release: () => {
      if (!held) return;
      held = false;
      server.close();
    },
  };
}

/**
 * The abstract names starting with `prefix` that live processes of this network namespace hold, each
 * with its socket inode (from /proc/net/unix; Node may pad a name with NULs, shown there as `@`).
 */
export function heldHostNames(prefix: string, procNetUnix = readProcNetUnix()): Map<string, number> {
  const held = new Map<string, number>();
  for (const line of procNetUnix.split('\n')) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    const path = fields[7];
    const inode = Number(fields[6]);
    if (path === undefined || !path.startsWith(`@${prefix}`)) continue;
    held.set(path.slice(1).replace(/@+$/, ''), inode);
  }
  return held;
}

function readProcNetUnix(): string {
  try {
    return readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return '';
  }
}
