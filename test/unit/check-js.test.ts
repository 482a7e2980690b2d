import { describe, expect, it } from 'vitest';
import type { CheckLanguage, Finding } from '../../src/check/index.js';
import { findingsIn, ruleCaseTests, type CleanCase, type FlaggedCase } from './check-rule-cases.js';

const findings = (
  source: string,
  language: CheckLanguage = 'javascript',
  network = false,
): Promise<Finding[]> => findingsIn(language, source, network);

/** [rule, source, a line it must be reported on] */
const POSITIVE: FlaggedCase[] = [
  ['js/syntax', 'const a = 1;\nconst = 2;', 2],
  ['js/process-spawn', 'const cp = require("child_process");\ncp.exec("ls");', 1],
  ['js/process-spawn', 'const cp = require("child_process");\ncp.exec("ls");', 2],
  ['js/process-spawn', 'import { execSync } from "node:child_process";\nexecSync("ls");', 2],
  ['js/worker', 'const { Worker } = require("worker_threads");', 1],
  ['js/worker', 'import cluster from "node:cluster";', 1],
  ['js/dynamic-code', 'const x = 1;\neval("1 + 1");', 2],
  ['js/dynamic-code', 'const f = new Function("return 1");', 1],
  ['js/dynamic-code', 'const vm = require("vm");\nvm.runInThisContext("1");', 1],
  ['js/dynamic-require', 'const m = require(name);', 1],
  ['js/dynamic-require', 'const m = await import(`./${name}.js`);', 1],
  ['js/dynamic-require', 'const m = require("child" + "_process");', 1],
  ['js/dynamic-require', 'module.constructor._load("fs");', 1],
  ['js/network', 'const net = require("net");', 1],
  ['js/network', 'import http from "node:http";', 1],
  ['js/network', 'const r = await fetch(url);', 1],
  ['js/network', 'const ws = new WebSocket(url);', 1],
  ['js/network-url', 'const u = "https://example.com/data.json";', 1],
  ['js/ffi', 'process.binding("fs");', 1],
  ['js/ffi', 'process.dlopen(module, "addon.node");', 1],
  ['js/fs-system-path', 'const fs = require("fs");\nfs.readFileSync("/etc/passwd");', 2],
  ['js/fs-system-path', 'fs.readFileSync(`/proc/${pid}/environ`);', 1],
  ['js/fs-traversal', 'fs.readFileSync("../../secret");', 1],
  ['js/global-computed', 'globalThis[name]();', 1],
  ['js/global-computed', 'const v = process[key];', 1],
  ['js/global-computed', 'Reflect.get(globalThis, key)();', 1],
];

/** [rule, harmless source that must not trigger it] */
const NEGATIVE: CleanCase[] = [
  ['js/syntax', 'const x = await Promise.resolve(1);\nconsole.log(x?.y ?? 2);'],
  ['js/process-spawn', 'const exec = (x) => x;\nexec(1);'],
  ['js/process-spawn', '// require("child_process") is refused\nconsole.log("child_process");'],
  ['js/worker', 'setTimeout(() => {}, 1);'],
  ['js/dynamic-code', 'const evaluate = 1;\nmodel.eval();\nconsole.log("eval", JSON.parse("{}"));'],
  ['js/dynamic-code', 'if (typeof x === "function" || x instanceof Function) {}'],
  ['js/dynamic-code', 'class A { constructor() { this.constructor.name; } }'],
  [
    'js/dynamic-require',
    'const fs = require("fs");\nconst p = require(`node:path`);\nconst l = await import("./lib.js");',
  ],
  ['js/dynamic-require', 'const where = require.resolve("node:fs");\nif (require.main === module) {}'],
  ['js/network', 'const fetchData = () => 1;\nconsole.log(typeof fetch, "http");'],
  ['js/network', 'const http = { get: () => 1 };\nhttp.get();'],
  ['js/network-url', 'console.log("docs at https://example.org explain this");'],
  ['js/ffi', 'console.log(process.env.HOME, process.argv, process.memoryUsage());'],
  [
    'js/fs-system-path',
    'fs.readFileSync("/work/in.csv");\nfs.writeFileSync("/dev/null", "");\nconsole.log("/etc is config");',
  ],
  ['js/fs-traversal', 'const lib = require("../lib");\nimport x from "../x.js";\nconsole.log("wait...");'],
  ['js/global-computed', 'globalThis["console"].log(1);\nconst v = obj[key];\nconst h = process.env[key];'],
];

/** Renaming and string tricks that must still be flagged: [rule, source, line, language]. */
const EVASIONS: FlaggedCase[] = [
  [
    'js/process-spawn',
    'const { exec: e } = require("child_process");\nconsole.log(1);\ne("ls");',
    3,
    'javascript',
  ],
  ['js/process-spawn', 'import * as c from "child_process";\nc.spawn("x");', 2, 'javascript'],
  ['js/process-spawn', 'import { spawn as s } from "node:child_process";\ns("x");', 2, 'javascript'],
  ['js/process-spawn', 'const r = require;\nr("child_process");', 2, 'javascript'],
  ['js/process-spawn', 'const m = require("child" + "_process");', 1, 'javascript'],
  ['js/process-spawn', 'const m = require("ch\\x69ld_process");', 1, 'javascript'],
  [
    'js/process-spawn',
    'const cp = require("child_process");\nconst { spawn } = cp;\nspawn("x");',
    3,
    'javascript',
  ],
  [
    'js/process-spawn',
    'const { createRequire } = require("module");\nconst req = createRequire(import.meta.url);\nreq("child_process");',
    3,
    'javascript',
  ],
  ['js/process-spawn', 'import cp = require("child_process");\ncp.execSync("ls");', 2, 'typescript'],
  ['js/process-spawn', 'const m = await import("node:" + "child_process");', 1, 'javascript'],
  ['js/dynamic-code', 'globalThis["ev" + "al"]("1");', 1, 'javascript'],
  ['js/dynamic-code', '(0, eval)("1");', 1, 'javascript'],
  ['js/dynamic-code', 'const g = globalThis;\ng.eval("1");', 2, 'javascript'],
  ['js/dynamic-code', '[].constructor.constructor("return process")();', 1, 'javascript'],
  ['js/dynamic-code', 'Object.getPrototypeOf(async function () {}).constructor("x");', 1, 'javascript'],
  ['js/dynamic-code', 'const v = require(String.fromCharCode(118, 109));', 1, 'javascript'],
  ['js/dynamic-code', 'Reflect.get(globalThis, "eval")("1");', 1, 'javascript'],
  ['js/dynamic-code', 'const f = (globalThis as any).eval as (s: string) => unknown;', 1, 'typescript'],
  ['js/dynamic-code', 'const o = { eval };\no.eval("1");', 1, 'javascript'],
  ['js/dynamic-require', 'const r = require;\nr(name);', 2, 'javascript'],
  ['js/ffi', 'process["bin" + "ding"]("fs");', 1, 'javascript'],
  ['js/network', 'const { request } = await import("node:https");', 1, 'javascript'],
  ['js/process-spawn', 'require.call(null, "child_process").execSync("id");', 1, 'javascript'],
  ['js/network', 'Reflect.apply(require, null, ["net"]);', 1, 'javascript'],
  ['js/dynamic-code', 'const r = require.bind(null);\nr("vm");', 2, 'javascript'],
  ['js/dynamic-code', '\\u0065val("1");', 1, 'javascript'],
  ['js/ffi', 'process.\\u0062inding("fs");', 1, 'javascript'],
  ['js/dynamic-require', 'const load = [require][0];', 1, 'javascript'],
];

describe('javascript and typescript rules', () => {
  ruleCaseTests('javascript', { positive: POSITIVE, negative: NEGATIVE, evasions: EVASIONS });

  it('checks TypeScript with the same rules, at positions in the TypeScript source', async () => {
    const source =
      'interface A { x: number }\nconst a: A = { x: 1 };\nimport { exec } from "child_process";\nexec("ls");';
    const found = await findings(source, 'typescript');
    expect(found.filter((f) => f.rule === 'js/process-spawn').map((f) => [f.line, f.column])).toEqual([
      [3, 1],
      [4, 1],
    ]);
  });

  it('gives the syntax verdict the runner gives (acorn/swc), with its position', async () => {
    const [js] = await findings('let x = 1;\nlet x = 2;');
    expect(js).toMatchObject({ rule: 'js/syntax', severity: 'error', line: 2 });
    const [ts] = await findings('const a: number = ;', 'typescript');
    expect(ts).toMatchObject({ rule: 'js/syntax', line: 1 });
    expect(await findings('enum E { A }\nconst e: E = E.A;', 'typescript')).toEqual([]);
  });

  it('skips `import type` (erased before the script runs)', async () => {
    expect(
      await findings('import type { Server } from "node:net";\nlet s: Server | undefined;', 'typescript'),
    ).toEqual([]);
  });

  it('drops the network rules when the run has network', async () => {
    const source = 'const https = require("https");\nawait fetch("https://example.com/x");';
    expect((await findings(source)).map((f) => f.rule)).toContain('js/network');
    expect(await findings(source, 'javascript', true)).toEqual([]);
  });
});
