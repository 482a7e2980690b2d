// scriptbox node runner: runs inside the sandbox as `node runner.mjs`.
// It says `ready` on fd 3 and waits for its job on fd 6 (meanwhile the host confines the sandbox and
// holds its work dir), and writes the job's files and script (already parsed and stripped of TypeScript
// types by the host). It closes every fd but 0-2, sets the job's environment variables and loads the
// script as the main module, ESM or CommonJS by its extension.
import { closeSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { resolve } from 'node:path';

const STATUS_FD = 3;
const GO_FD = 6;

/**
 * Waits for the job (until EOF): `go <file> <n> <m>\n`, n files as `<name-length> <size>\n<name><bytes>`,
 * m environment variables as `NAME=VALUE\0`, then the script source. Writes the files (read-only) and the
 * script; returns the script's name and the variables.
 */
function waitForJob() {
  writeSync(STATUS_FD, 'ready\n');
  const chunks = [];
  const chunk = Buffer.alloc(1 << 20);
  for (let read = readSync(GO_FD, chunk); read > 0; read = readSync(GO_FD, chunk)) {
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  closeSync(GO_FD);
  let rest = Buffer.concat(chunks);
  const line = () => {
    const newline = rest.indexOf(10);
    if (newline < 0) process.exit(0); // the host went away before giving a job
    const text = rest.subarray(0, newline).toString('utf8');
    rest = rest.subarray(newline + 1);
    return text.split(' ');
  };
  const [, name, count = '0', envCount = '0'] = line();
  for (let i = 0; i < Number(count); i++) {
    const [nameLength, size] = line().map(Number);
    const fileName = rest.subarray(0, nameLength).toString('utf8');
    writeFileSync(fileName, rest.subarray(nameLength, nameLength + size), { flag: 'wx', mode: 0o444 });
    rest = rest.subarray(nameLength + size);
  }
  const env = [];
  for (let i = 0; i < Number(envCount); i++) {
    const end = rest.indexOf(0);
    const entry = rest.subarray(0, end).toString('utf8');
    const equals = entry.indexOf('=');
    env.push([entry.slice(0, equals), entry.slice(equals + 1)]);
    rest = rest.subarray(end + 1);
  }
  writeFileSync(name, rest, { flag: 'wx', mode: 0o444 });
  return { name, env };
}

/** Closes every fd that would survive an exec (Node's own fds are close-on-exec and stay). */
function closeInheritedFds() {
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
}

const job = waitForJob();
const file = resolve(job.name);
writeSync(STATUS_FD, 'ok\n');
closeSync(STATUS_FD);
closeInheritedFds();
// The job's variables: process.env sets the real environment, so processes the script starts see them too.
for (const [key, value] of job.env) process.env[key] = value;

process.argv.splice(1, process.argv.length - 1, file);
// Convenience for ESM scripts written in CommonJS habits.
if (file.endsWith('.mjs')) globalThis.require = createRequire(file);
// Node's own entry point: picks ESM or CommonJS by extension and sets require.main for the script.
Module.runMain();
