// The state holder of a stateful JavaScript session (see session_holder.py for the protocol): one Node
// process whose global scope is the state. Node cannot fork, so it runs each cell itself, in its own
// global context like the REPL does: a cell's declarations, requires and globals stay for the next one.
// A cell that throws keeps what it did before the throw; a limit's kill first interrupts the cell
// (SIGINT, breakOnSigint) so the state stays, and only a cell that cannot be interrupted takes the state
// with it (the result then says "reset"). process.exit() in a cell ends the cell, not the state.
// fd 3: `run <id> <dir>` lines from the supervisor; fd 4: events to it.
import {
  closeSync,
  constants,
  createReadStream,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import vm from 'node:vm';

// Our channels again, close-on-exec (as Node opens files): a process a cell starts does not inherit them.
const EVENTS = openSync('/proc/self/fd/4', 'w');
const COMMANDS = openSync('/proc/self/fd/3', 'r');
closeSync(3);
closeSync(4);
const CELL = '<cell>';
const OUTPUTS = resolve('.scriptbox-run/outputs.jsonl'); // cells may change directory

class ExitRequest {
  constructor(code) {
    this.code = code;
  }
}

const say = (line) => writeSync(EVENTS, `${line}\n`);

function emit(item) {
  try {
    try {
      mkdirSync(dirname(OUTPUTS), 0o700); // the supervisor empties it before each run
    } catch (err) {
      if (err?.code !== 'EEXIST') throw err;
    }
    const fd = openSync(
      OUTPUTS,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    );
    try {
      writeSync(fd, `${JSON.stringify(item)}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {
    // no display channel: the value or error is on stdout/stderr anyway
  }
}

/** The stack from the cell's own frames on: none of this holder's, none of Node's internals. */
function userStack(err) {
  const stack = typeof err?.stack === 'string' ? err.stack : String(err);
  return stack
    .split('\n')
    .filter((line) => !/session_node\.mjs|node:internal|node:vm|^\s+at new Script/.test(line))
    .join('\n');
}

function reportError(err) {
  const traceback = userStack(err);
  process.stderr.write(`${traceback}\n`);
  const isError = err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err);
  emit({
    type: 'error',
    name: isError ? String(err.name ?? 'Error') : 'Uncaught',
    value: isError ? String(err.message) : inspect(err),
    traceback,
  });
}

const exit = process.exit.bind(process);
process.exit = (code) => {
  throw new ExitRequest(typeof code === 'number' ? code : (process.exitCode ?? 0));
};
process.on('uncaughtException', (err) => reportError(err));
process.on('unhandledRejection', (err) => reportError(err));
let interrupt = null;
process.on('SIGINT', () => interrupt?.());
globalThis.require = createRequire(resolve(CELL));

/** Runs the cell's source in the global scope; a top-level await runs it as an async function. */
async function evaluate(source) {
  let script;
  try {
    script = new vm.Script(source, { filename: CELL });
  } catch (err) {
    // Not a script: perhaps one with a top-level await (V8 words that error many ways), which runs as
    // the body of an async function. If that does not parse either, the script's own error stands.
    let wrapped;
    try {
      wrapped = new vm.Script(`(async () => {\n${source}\n})()`, { filename: CELL, lineOffset: -1 });
    } catch {
      throw err;
    }
    return { value: await interruptible(wrapped.runInThisContext({ breakOnSigint: true })), shown: false };
  }
  return { value: script.runInThisContext({ breakOnSigint: true }), shown: true };
}

function interruptible(promise) {
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      interrupt = () => reject(new Error('Script execution interrupted.'));
    }),
  ]).finally(() => {
    interrupt = null;
  });
}

async function runCell(id, dir) {
  say(`started ${id} ${process.pid}`);
  const env = JSON.parse(readFileSync(`${dir}/env.json`, 'utf8'));
  // The run's variables are the run's: the state goes on with the environment it had before.
  const before = Object.keys(env).map((key) => [key, process.env[key]]);
  for (const [key, value] of Object.entries(env)) process.env[key] = value;
  process.argv.splice(
    1,
    process.argv.length - 1,
    CELL,
    ...JSON.parse(readFileSync(`${dir}/args.json`, 'utf8')),
  );
  const source = readFileSync(`${dir}/cell`, 'utf8');
  let code = 0;
  process.exitCode = undefined;
  try {
    const { value, shown } = await evaluate(source);
    code = Number(process.exitCode ?? 0) & 0xff;
    if (shown && value !== undefined) {
      globalThis._ = value;
      const text = inspect(value, { depth: 4 });
      emit({ type: 'result', data: { 'text/plain': text } });
    }
  } catch (err) {
    if (err instanceof ExitRequest) code = err.code & 0xff;
    else {
      reportError(err);
      code = /^Script execution interrupted/.test(err?.message ?? '') ? -2 : 1;
    }
  }
  for (const [key, value] of before) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  say(`done ${id} ${code}`);
}

const commands = createInterface({ input: createReadStream('', { fd: COMMANDS }) });
let queue = Promise.resolve();
commands.on('line', (line) => {
  const words = line.split(' ');
  if (words.length !== 3 || words[0] !== 'run') return;
  queue = queue.then(() => runCell(words[1], words[2]));
});
commands.on('close', () => exit(0));
say('ready');
