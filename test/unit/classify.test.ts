import { describe, expect, it } from 'vitest';
import { classify } from '../../src/engine/classify.js';
import { DEFAULT_LIMITS } from '../../src/engine/options.js';

type Outcome = Parameters<typeof classify>[0];
const clean: Outcome = {
  started: true,
  setupError: null,
  exitCode: 0,
  signal: null,
  stderr: Buffer.from(''),
  killedFor: null,
  syntax: null,
  usage: { wallMs: 5, cpuMs: 2, peakMemoryBytes: 1, oomKills: 0, pidsLimitHits: 0 },
  diskFull: false,
};
const usage = (extra: Partial<Outcome['usage']>): Outcome['usage'] => ({ ...clean.usage, ...extra });

describe('classify', () => {
  it('a clean exit is no error, even if a limit was touched on the way', () => {
    expect(classify(clean, DEFAULT_LIMITS)).toBeNull();
    expect(classify({ ...clean, usage: usage({ pidsLimitHits: 3 }) }, DEFAULT_LIMITS)).toBeNull();
  });

  it('names the kernel-side limit as the cause before the host-side kill it led to', () => {
    const forkBomb = { ...clean, exitCode: null, signal: 'SIGKILL', killedFor: 'timeout' as const };
    expect(classify({ ...forkBomb, usage: usage({ pidsLimitHits: 1 }) }, DEFAULT_LIMITS)?.kind).toBe(
      'processes',
    );
    expect(classify({ ...forkBomb, usage: usage({ oomKills: 1 }) }, DEFAULT_LIMITS)?.kind).toBe('memory');
    expect(classify(forkBomb, DEFAULT_LIMITS)?.kind).toBe('timeout');
  });

  it('says which option to raise', () => {
    const error = classify({ ...clean, exitCode: null, killedFor: 'cpu' }, { ...DEFAULT_LIMITS, cpuMs: 750 });
    expect(error).toEqual({
      kind: 'cpu',
      message: 'killed after using its CPU time limit of 750 ms (raise --cpu / limits.cpuMs)',
    });
  });

  it('cancellation wins over everything the kill caused', () => {
    const cancelled = {
      ...clean,
      exitCode: null,
      killedFor: 'cancelled' as const,
      usage: usage({ oomKills: 1 }),
    };
    expect(classify(cancelled, DEFAULT_LIMITS)?.kind).toBe('cancelled');
  });

  it('reports syntax errors with the line, taking it from the message when the runner had none', () => {
    const bash = {
      ...clean,
      started: false,
      exitCode: 2,
      syntax: { line: 0, column: 0, message: "main.sh: line 7: syntax error near `fi'" },
    };
    expect(classify(bash, DEFAULT_LIMITS)).toEqual({
      kind: 'syntax',
      message: "main.sh: line 7: syntax error near `fi'",
      line: 7,
    });
  });

  it('a script that never started is a sandbox error carrying bwrap’s words', () => {
    const error = classify(
      { ...clean, started: false, exitCode: 1, stderr: Buffer.from('bwrap: execvp /nope: No such file\n') },
      DEFAULT_LIMITS,
    );
    expect(error).toEqual({
      kind: 'sandbox',
      message: 'the sandbox could not start the script: bwrap: execvp /nope: No such file',
    });
  });

  it('a runtime failure quotes the last stderr line and how the script ended', () => {
    const stderr = Buffer.from('Traceback...\n  File "main.py"\nValueError: bad\n\n');
    expect(classify({ ...clean, exitCode: 1, stderr }, DEFAULT_LIMITS)?.message).toBe(
      'ValueError: bad (the script exited with code 1)',
    );
    expect(classify({ ...clean, exitCode: null, signal: 'SIGSEGV' }, DEFAULT_LIMITS)?.message).toBe(
      'the script was killed by SIGSEGV',
    );
  });

  it('a failure with a full disk is a disk error', () => {
    expect(classify({ ...clean, exitCode: 1, diskFull: true }, DEFAULT_LIMITS)?.kind).toBe('disk');
  });
});

describe('classify runtime messages', () => {
  it('quotes the error line of an uncaught Node error, not the stack or version after it', () => {
    const stderr = Buffer.from(
      '/work/main.cjs:1\nthrow new TypeError("nope")\n^\n\nTypeError: nope\n    at Object.<anonymous>\n\nNode.js v20.20.2\n',
    );
    expect(classify({ ...clean, exitCode: 1, stderr }, DEFAULT_LIMITS)?.message).toBe(
      'TypeError: nope (the script exited with code 1)',
    );
  });

  // What Node 20 prints, stacks shortened: the summary named `Node.js v20.20.2` for all of these.
  const stack = '    at Object.<anonymous> (/work/main.cjs:1:7)\n    at Module._compile (node:internal)\n';
  const NODE_ENDINGS: Array<[what: string, stderr: string, quoted: string]> = [
    [
      'a plain Error',
      `/work/main.cjs:1\nthrow new Error('boom')\n^\n\nError: boom\n${stack}\nNode.js v20.20.2\n`,
      'Error: boom',
    ],
    [
      'an Error subclass that keeps the name',
      `/work/main.cjs:1\nthrow new Oops('custom')\n^\n\nOops [Error]: custom\n${stack}\nNode.js v20.20.2\n`,
      'Oops [Error]: custom',
    ],
    [
      'an unhandled rejection with an Error',
      `/work/main.cjs:1\nPromise.reject(new Error('async boom'))\n^\n\nError: async boom\n${stack}\nNode.js v20.20.2\n`,
      'Error: async boom',
    ],
    [
      'an unhandled rejection with a string',
      'node:internal/process/promises:389\n      new UnhandledPromiseRejection(reason);\n      ^\n\n' +
        'UnhandledPromiseRejection: This error originated either by throwing inside of an async function ' +
        'without a catch block, or by rejecting a promise which was not handled with .catch(). The promise ' +
        'rejected with the reason "plain".\n    at throwUnhandledRejectionsMode (node:internal)\n {\n' +
        "  code: 'ERR_UNHANDLED_REJECTION'\n}\n\nNode.js v20.20.2\n",
      'UnhandledPromiseRejection: This error originated either by throwing inside of an async function ' +
        'without a catch block, or by rejecting a promise which was not handled with .catch(). The promise ' +
        'rejected with the reason "plain".',
    ],
    [
      'a thrown string',
      'node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^\nstr\n' +
        '(Use `node --trace-uncaught ...` to show where the exception was thrown)\n\nNode.js v20.20.2\n',
      'str',
    ],
  ];
  it.each(NODE_ENDINGS)('quotes %s, never the Node.js version line', (_what, stderr, quoted) => {
    const error = classify({ ...clean, exitCode: 1, stderr: Buffer.from(stderr) }, DEFAULT_LIMITS);
    expect(error?.message).toBe(`${quoted} (the script exited with code 1)`);
  });

  it('still quotes the last line of output that names no error', () => {
    const stderr = Buffer.from('starting\nno input given, stopping\n');
    expect(classify({ ...clean, exitCode: 2, stderr }, DEFAULT_LIMITS)?.message).toBe(
      'no input given, stopping (the script exited with code 2)',
    );
  });
});
