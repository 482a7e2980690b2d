// scriptbox node runner: runs inside the sandbox as `node runner.mjs /work/main.(c|m)js`.
// The host has already parsed the script (and stripped TypeScript types); this closes the status fd
// and loads the script as the main module, ESM or CommonJS as the host decided.
import { closeSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { resolve } from 'node:path';

const STATUS_FD = 3;
const GO_FD = 6;
// Say ready and wait until the host holds the work dir.
writeSync(STATUS_FD, 'ready\n');
readSync(GO_FD, Buffer.alloc(1));
closeSync(GO_FD);
writeSync(STATUS_FD, 'ok\n');
closeSync(STATUS_FD);

// Nothing but stdin, stdout and stderr reaches the script: close every fd that would survive an exec
// (Node's own fds are close-on-exec and stay).
const O_CLOEXEC = 0o2000000;
for (const name of readdirSync('/proc/self/fd')) {
  const fd = Number(name);
  if (fd < 3) continue;
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) closeSync(fd);
  } catch {
    // the listing's own fd, already closed
  }
}

const file = resolve(process.argv[2]);
process.argv.splice(1, 2, file);
// Convenience for ESM scripts written in CommonJS habits.
if (file.endsWith('.mjs')) globalThis.require = createRequire(file);
// Node's own entry point: picks ESM or CommonJS by extension and sets require.main for the script.
Module.runMain();
