/**
 * What the JavaScript/TypeScript rules look for, as qualified names: modules by their name without `node:`
 * (`child_process.exec`), globals by their own name (`eval`, `fetch`, `process.binding`). See js-names.ts.
 */
import type { NameRule } from './report.js';

const each = (rule: string, patterns: string[]): NameRule[] => patterns.map((pattern) => ({ pattern, rule }));

export const JS_NAME_RULES: readonly NameRule[] = [
  ...each('js/process-spawn', ['child_process', 'process.execve']),
  ...each('js/worker', ['worker_threads', 'cluster']),
  ...each('js/dynamic-code', ['eval', 'Function', 'vm', 'repl', 'inspector']),
  ...each('js/dynamic-require', [
    'module._load',
    'module._compile',
    'module._resolveFilename',
    'module.constructor',
    'module.Module',
    'process.mainModule',
  ]),
  ...each('js/network', [
    'net',
    'http',
    'https',
    'http2',
    'dgram',
    'dns',
    'tls',
    'undici',
    'ws',
    'axios',
    'node-fetch',
    'got',
    'request',
    'superagent',
    'socket.io-client',
    'fetch',
    'WebSocket',
    'XMLHttpRequest',
    'EventSource',
  ]),
  ...each('js/ffi', [
    'process.binding',
    'process._linkedBinding',
    'process.dlopen',
    'ffi',
    'ffi-napi',
    'koffi',
    'node-ffi',
    'ref-napi',
  ]),
];

/** Globals an unbound identifier may name. */
export const JS_GLOBALS: ReadonlySet<string> = new Set([
  'eval',
  'Function',
  'fetch',
  'WebSocket',
  'XMLHttpRequest',
  'EventSource',
  'process',
  'require',
  'module',
  'globalThis',
  'global',
  'window',
  'self',
  'Reflect',
]);

/** The global object under its names: `globalThis.eval` is `eval`. */
export const GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['globalThis', 'global', 'window', 'self']);

/** Objects whose members must not be picked by a computed name. */
export const GUARDED_OBJECTS: ReadonlySet<string> = new Set([
  ...GLOBAL_OBJECTS,
  'process',
  'module',
  'require',
]);

/** Functions that load a module by name (`createRequire(...)` returns `require`). */
export const REQUIRE_FUNCTIONS: ReadonlySet<string> = new Set([
  'require',
  'module.require',
  'process.mainModule.require',
]);
