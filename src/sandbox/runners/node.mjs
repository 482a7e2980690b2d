// scriptbox node runner: runs inside the sandbox as `node runner.mjs`.
// It says `ready` on fd 3 and waits for its job on fd 6 (meanwhile the host confines the sandbox and
// holds its work dir), and writes the job's files and script (already parsed and stripped of TypeScript
// types by the host). It closes every fd but 0-2, sets the job's environment variables and loads the
// script as the main module, ESM or CommonJS by its extension.
import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';

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
  const [, name, count = '0', envCount = '0', argCount = '0'] = line();
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
  const args = [];
  for (let i = 0; i < Number(argCount); i++) {
    const end = rest.indexOf(0);
    args.push(rest.subarray(0, end).toString('utf8'));
    rest = rest.subarray(end + 1);
  }
  writeFileSync(name, rest, { flag: 'wx', mode: 0o444 });
  return { name, env, args };
}

/**
 * The run's display channel (the Python runners' too, see scriptbox_python.py): JSON lines in
 * .scriptbox-run/outputs.jsonl that the host reads after the run. Node writes one item: the uncaught error
 * (or unhandled rejection) that ended the script, as {type: 'error', name, value, traceback}.
 */
// Absolute: the script may chdir before it throws.
const CHANNEL_DIR = resolve('.scriptbox-run');
const OUTPUTS = `${CHANNEL_DIR}/outputs.jsonl`;
const RUNNER_FILE = fileURLToPath(import.meta.url);

/** Appends one item; never through a link the script planted, and never fails the run. */
function emit(item) {
  try {
    mkdirSync(CHANNEL_DIR, { mode: 0o700 });
  } catch {
    // there already (or not makeable: the open below says so)
  }
  let fd;
  try {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    fd = openSync(OUTPUTS, flags, 0o600);
    writeSync(fd, `${JSON.stringify(item)}\n`);
  } catch (err) {
    writeSync(2, `scriptbox: the error's details were lost (${err.code ?? err})\n`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `thrown`'s stack as the script's own: frames down to the last one in `file` (the script), none of the
 * runner's or of Node's module loader that ran it. Without a frame in `file` (thrown in a module the
 * script imported), only the runner's and Node's trailing frames go.
 */
function scriptStack(stack, file) {
  const lines = stack.split('\n');
  const isFrame = (line) => /^\s+at /.test(line);
  const inFile = (line, path) => line.includes(`(${path}:`) || line.includes(` ${path}:`);
  const inScript = (line) => inFile(line, file) || inFile(line, pathToFileURL(file).href);
  const ours = (line) =>
    inFile(line, RUNNER_FILE) || inFile(line, import.meta.url) || /[( ]node:internal\//.test(line);
  let end = lines.findLastIndex((line) => isFrame(line) && inScript(line));
  if (end < 0) {
    end = lines.length - 1;
    while (end >= 0 && (ours(lines[end]) || lines[end].trim() === '')) end--;
  }
  return lines
    .slice(0, end + 1)
    .filter((line) => !(isFrame(line) && inFile(line, RUNNER_FILE)))
    .join('\n');
}

/** The error item for what the script threw: an Error's name, message and stack; anything else inspected. */
function errorItem(thrown, file) {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'stack' in thrown)) {
    const name = String(thrown.name ?? thrown.constructor?.name ?? 'Error');
    const value = String(thrown.message ?? '');
    const stack = typeof thrown.stack === 'string' ? thrown.stack : `${name}: ${value}`;
    return { type: 'error', name, value, traceback: `${scriptStack(stack, file)}\n` };
  }
  const value = inspect(thrown);
  return { type: 'error', name: 'Uncaught', value, traceback: `Uncaught ${value}\n` };
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

// Node still prints the error and exits 1 as usual; the monitor only records it for the result (unless
// the script handles uncaught exceptions itself: then it decides whether the run failed).
process.on('uncaughtExceptionMonitor', (thrown) => {
  if (process.listenerCount('uncaughtException') > 0) return;
  try {
    emit(errorItem(thrown, file));
  } catch {
    // a getter on the thrown object that throws: Node's own report of it stands
  }
});

process.argv.splice(1, process.argv.length - 1, file, ...job.args);
// Convenience for ESM scripts written in CommonJS habits.
if (file.endsWith('.mjs')) globalThis.require = createRequire(file);
// Node's own entry point: picks ESM or CommonJS by extension and sets require.main for the script.
Module.runMain();
