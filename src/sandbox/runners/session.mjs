// scriptbox node session runner: runs inside a session sandbox as `node session.mjs`.
// Same protocol as session.py (jobs as `<length>\n<json>` frames on fd 6, events as JSON lines on fd 3),
// but every run is a fresh `node` process (fresh globals), since Node cannot fork. The host has already
// parsed the script and stripped TypeScript types.
import { spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';

const STATUS = 3;
const CONTROL = 6;
/** Starts a run: closes the status and control pipes, lets the kernel pick the run first under memory
 * pressure, then becomes `node <file>`. */
const RUN_WRAPPER = 'exec 3>&- 6<&-; echo 1000 >/proc/self/oom_score_adj && exec "$0" "$@"';

/** Closes every fd but 0-2, the status and the control pipe that would survive an exec. */
function closeInheritedFds() {
  const O_CLOEXEC = 0o2000000;
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd < 3 || fd === STATUS || fd === CONTROL) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // the listing's own fd, already closed
    }
  }
}
closeInheritedFds();

const report = (event) => writeSync(STATUS, `${JSON.stringify(event)}\n`);
let current = null; // the running child
const queue = [];
let busy = false;

function killEverything() {
  try {
    process.kill(-1, 'SIGKILL'); // every process of the sandbox but this one and its init
  } catch {
    // nothing to kill
  }
}

/** Kills what a run left behind and resolves once only this runner and the sandbox's init remain. */
async function killStrays() {
  for (let round = 0; round < 2000; round++) {
    killEverything();
    const others = readdirSync('/proc').filter(
      (p) => /^\d+$/.test(p) && p !== '1' && p !== String(process.pid),
    );
    if (others.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Writes a new file at `path`, never through whatever an earlier run left there. */
function writeFresh(path, data, mode) {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
  writeFileSync(path, data, { flag: 'wx', mode });
}

/** An empty out/ for each run (its files are the ones it wrote); rm never follows a link left there. */
function freshOutDir() {
  rmSync('out', { recursive: true, force: true });
  mkdirSync('out');
}

async function serveRun(job) {
  freshOutDir();
  writeFresh(job.file, job.source, 0o444);
  const child = spawn('/bin/sh', ['-c', RUN_WRAPPER, process.execPath, job.file], {
    stdio: ['pipe', 'inherit', 'inherit'],
    detached: true,
    env: process.env,
  });
  current = child;
  report({ event: 'started', id: job.id });
  child.stdin.on('error', () => undefined);
  child.stdin.end(Buffer.from(job.stdin ?? '', 'base64'));
  const [code, signal] = await new Promise((resolve) => child.once('close', (c, s) => resolve([c, s])));
  current = null;
  await finishRun(job.id, code, signal);
}

/** Kills what the run left, ends both output streams with a fresh token, reports the exit. */
async function finishRun(id, code, signal, error) {
  await killStrays();
  const token = [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  writeSync(1, `\n${token}\n`);
  writeSync(2, `\n${token}\n`);
  report({ event: 'exit', id, code, signal, token, ...(error ? { error } : {}) });
}

function servePut(job) {
  const parts = job.name.split('/');
  if (job.name.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    report({ event: 'put', id: job.id, ok: false, error: `not a plain relative path: ${job.name}` });
    return;
  }
  try {
    let dir = '.';
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      let isDir = false;
      try {
        isDir = lstatSync(dir).isDirectory();
      } catch {
        // missing
      }
      if (!isDir) mkdirSync(dir);
    }
    writeFresh(job.name, Buffer.from(job.data, 'base64'), 0o644);
    report({ event: 'put', id: job.id, ok: true });
  } catch (err) {
    report({ event: 'put', id: job.id, ok: false, error: `${basename(job.name)}: ${err.message}` });
  }
}

async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const job = queue.shift();
    if (job.op === 'run') {
      try {
        await serveRun(job);
      } catch (err) {
        // Never lose the session to one run: report it as that run's failure.
        current = null;
        await finishRun(job.id, null, 'SIGKILL', `${err.name}: ${err.message}`);
      }
    } else if (job.op === 'put') servePut(job);
  }
  busy = false;
}

let buffer = Buffer.alloc(0);
function onData(chunk) {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const newline = buffer.indexOf(10);
    if (newline < 0) return;
    const size = Number(buffer.subarray(0, newline).toString('ascii'));
    if (buffer.length < newline + 1 + size) return;
    const job = JSON.parse(buffer.subarray(newline + 1, newline + 1 + size).toString('utf8'));
    buffer = buffer.subarray(newline + 1 + size);
    if (job.op === 'kill') {
      if (current) killEverything();
    } else {
      queue.push(job);
      void drain();
    }
  }
}

const control = createReadStream(null, { fd: CONTROL });
control.on('data', onData);
control.on('end', () => process.exit(0));
report({ event: 'ready', preloadFailed: [] });
