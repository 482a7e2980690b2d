// scriptbox node runner: runs inside the sandbox as `node runner.mjs /work/main.(c|m)js`.
// The host has already parsed the script (and stripped TypeScript types); this closes the status fd
// and loads the script as the main module, ESM or CommonJS as the host decided.
import { closeSync, readSync, writeSync } from 'node:fs';
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

const file = resolve(process.argv[2]);
process.argv.splice(1, 2, file);
// Convenience for ESM scripts written in CommonJS habits.
if (file.endsWith('.mjs')) globalThis.require = createRequire(file);
// Node's own entry point: picks ESM or CommonJS by extension and sets require.main for the script.
Module.runMain();
