/**
 * The JavaScript/TypeScript telemetry runtime, written once at the output tree's root as
 * `scriptbox-telemetry.cjs` (plus `scriptbox-telemetry.d.cts`, its types, for TypeScript). It is CommonJS
 * so that both kinds of module load the same file: CommonJS files `require` it, ES modules and TypeScript
 * `import * as __sbx from "…/scriptbox-telemetry.cjs"` (Node exposes `exports.enter` as a named export).
 *
 * With SCRIPTBOX_TELEMETRY_FILE unset (read once, at load) `enter` returns one shared object whose
 * `exit`/`error` do nothing: a call, two empty calls and a try/finally per instrumented call. Set, every
 * event is one `fs.writeSync` of one JSON line to a descriptor opened with O_APPEND (flag 'a'), so lines
 * from threads (each worker loads its own copy), async code and processes never interleave. A failure to
 * open or write turns telemetry off for the process instead of failing the program.
 */

export const RUNTIME_NAME = 'scriptbox-telemetry.cjs';
export const RUNTIME_TYPES_NAME = 'scriptbox-telemetry.d.cts';
/** In every instrumented JS/TS file (its prelude) and in the runtime files themselves. */
export const JS_MARKER = 'scriptbox-telemetry.cjs';

export const RUNTIME_SOURCE = `'use strict';
// scriptbox-telemetry.cjs: the telemetry runtime written by \`scriptbox instrument\` (removed by --remove).
// Appends JSON lines {ts, event, function, file, line, durationMs} to $SCRIPTBOX_TELEMETRY_FILE.
const fs = require('fs');
const FILE = process.env.SCRIPTBOX_TELEMETRY_FILE || '';
const NOOP = Object.freeze({ exit() {}, error() {} });
const clock = globalThis.performance;
let fd = -1;
let off = FILE === '';

function write(event, call, durationMs) {
  if (off) return;
  try {
    if (fd < 0) fd = fs.openSync(FILE, 'a');
    const record = { ts: clock.timeOrigin + clock.now(), event, function: call.name, file: call.file, line: call.line };
    if (durationMs !== undefined) record.durationMs = durationMs;
    fs.writeSync(fd, JSON.stringify(record) + '\\n');
  } catch {
    off = true;
  }
}

class Call {
  constructor(name, file, line) {
    this.name = name;
    this.file = file;
    this.line = line;
    this.done = false;
    write('enter', this);
    this.start = clock.now();
  }
  /** The normal end (return, generator finished or closed, promise settled); ignored after error(). */
  exit() {
    if (this.done) return;
    this.done = true;
    write('exit', this, clock.now() - this.start);
  }
  /** The end by an exception; the caller rethrows it. */
  error(_error) {
    if (this.done) return;
    this.done = true;
    write('error', this, clock.now() - this.start);
  }
}

exports.enter = off
  ? function enter() {
      return NOOP;
    }
  : function enter(name, file, line) {
      return new Call(name, file, line);
    };
`;

export const RUNTIME_TYPES = `// scriptbox-telemetry.d.cts: the types of scriptbox-telemetry.cjs (written by \`scriptbox instrument\`).
export interface Call {
  exit(): void;
  error(error: unknown): void;
}
export declare function enter(name: string, file: string, line: number): Call;
`;
