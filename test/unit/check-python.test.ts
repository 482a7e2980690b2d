import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/check/index.js';
import { findingsIn, lines, ruleCaseTests, type CleanCase, type FlaggedCase } from './check-rule-cases.js';

const findings = (source: string, network = false): Promise<Finding[]> =>
  findingsIn('python', source, network);

/** [rule, source, a line it must be reported on] */
const POSITIVE: FlaggedCase[] = [
  ['py/syntax', 'x = 1\ndef f(:\n    pass\n', 2],
  ['py/process-spawn', 'import os\nos.system("ls")', 2],
  ['py/process-spawn', 'import os\nos.execvp("sh", ["sh"])', 2],
  ['py/process-spawn', 'import os\npid = os.fork()', 2],
  ['py/process-spawn', 'import subprocess\nsubprocess.run(["ls"])', 1],
  ['py/process-spawn', 'import subprocess\nsubprocess.run(["ls"])', 2],
  ['py/process-spawn', 'import pty\npty.spawn("/bin/sh")', 2],
  ['py/multiprocessing', 'from multiprocessing import Pool', 1],
  ['py/multiprocessing', 'from concurrent.futures import ProcessPoolExecutor', 1],
  ['py/dynamic-code', 'x = 1\neval("1 + 1")', 2],
  ['py/dynamic-code', 'exec(code)', 1],
  ['py/dynamic-code', 'c = compile(src, "f", "exec")', 1],
  ['py/dynamic-code', 'import runpy\nrunpy.run_path("x.py")', 1],
  ['py/dynamic-import', 'm = __import__("json")', 1],
  ['py/dynamic-import', 'import importlib\nm = importlib.import_module(name)', 2],
  ['py/network', 'import socket', 1],
  ['py/network', 'from urllib.request import urlopen', 1],
  ['py/network', 'import requests\nrequests.get(u)', 2],
  ['py/network', 'import http.client', 1],
  ['py/network-url', 'URL = "https://example.com/data.csv"', 1],
  ['py/fs-system-path', 'open("/etc/passwd").read()', 1],
  ['py/fs-system-path', 'p = "/proc/self/environ"', 1],
  ['py/fs-system-path', 'p = f"/proc/{pid}/mem"', 1],
  ['py/fs-system-path', 'p = "//etc/./shadow"', 1],
  ['py/fs-traversal', 'open("../../secret.txt")', 1],
  ['py/fs-chdir', 'import os\nos.chroot("/x")', 2],
  ['py/fs-chdir', 'import os\nos.chdir("/")', 2],
  ['py/ffi', 'import ctypes\nctypes.CDLL(None)', 1],
  ['py/ffi', 'from cffi import FFI', 1],
  ['py/introspection', 'x = ().__class__.__base__.__subclasses__()', 1],
  ['py/introspection', 'g = f.__globals__', 1],
  ['py/introspection', 'b = __builtins__', 1],
  ['py/introspection', 'import sys\nframe = sys._getframe(1)', 2],
  ['py/introspection', 'import os\nd = os.__dict__', 2],
  ['py/introspection', 'b = print.__self__', 1],
  ['py/dynamic-attribute', 'f = getattr(obj, name)', 1],
  ['py/dynamic-attribute', 'setattr(obj, key, 1)', 1],
  ['py/dynamic-attribute', 'v = globals()[name]', 1],
  ['py/dynamic-attribute', 'import sys\nm = sys.modules[name]', 2],
  ['py/sys-modules', 'import sys\nsys.modules["json"] = fake', 2],
  ['py/sys-modules', 'import sys\ndel sys.modules["os"]', 2],
  ['py/sys-modules', 'import sys\nsys.modules.update({"os": fake})', 2],
];

/** [rule, harmless source that must not trigger it] */
const NEGATIVE: CleanCase[] = [
  ['py/syntax', 'def f(x):\n    return [i async for i in x] if x else None\n'],
  ['py/process-spawn', 'system = "linux"\nprint(system)'],
  ['py/process-spawn', 'import os\nprint(os.path.join("a", "b"), os.getcwd())'],
  ['py/process-spawn', '# subprocess.run(["ls"]) is not allowed\nx = 1'],
  ['py/process-spawn', 'print("os.system and subprocess are refused")'],
  ['py/process-spawn', 'from os import path\nprint(path.exists("x"))'],
  ['py/multiprocessing', 'import threading\nfrom concurrent.futures import ThreadPoolExecutor'],
  ['py/dynamic-code', 'import re\npattern = re.compile("a+")'],
  ['py/dynamic-code', 'model.eval()\nprint("eval", "exec")'],
  ['py/dynamic-import', 'import importlib\nm = importlib.import_module("json")'],
  ['py/network', 'import urllib.parse\nprint(urllib.parse.quote("a b"))'],
  ['py/network', 'import json, csv'],
  ['py/network', 'def socket():\n    return 1\nsocket()'],
  ['py/network-url', 'print("read the docs at https://example.com before running")'],
  [
    'py/fs-system-path',
    'open("data/etc/x.csv")\nopen("/work/in.csv")\nopen("/dev/null", "w")\nopen("/tmp/x")',
  ],
  ['py/fs-system-path', 'print("/etc is where configs live")'],
  ['py/fs-traversal', 'print("Loading..")\nx = "a..b"\ny = "..."'],
  ['py/fs-chdir', 'import os\nos.chdir("/work/out")\nos.chdir("/tmp")\nos.chdir(target)'],
  ['py/ffi', 'import collections\nctypes = 3\nprint(ctypes)'],
  [
    'py/introspection',
    'class A:\n    def name(self):\n        return self.__class__.__name__\nprint(obj.__dict__)',
  ],
  ['py/introspection', 'import math\nprint(math.pi, __name__)'],
  [
    'py/dynamic-attribute',
    'v = getattr(obj, "name")\nw = getattr(obj, "na" + "me", None)\nglobals()["x"] = 1',
  ],
  ['py/dynamic-attribute', 'data = {}\nv = data[key]\nobj.__dict__[key] = 1'],
  ['py/sys-modules', 'import sys\nprint("json" in sys.modules)\nm = sys.modules["json"]'],
];

/** Renaming and string tricks that must still be flagged: [rule, source, line]. */
const EVASIONS: FlaggedCase[] = [
  ['py/process-spawn', 'import os as o\no.system("id")', 2],
  ['py/process-spawn', 'from os import system as s\nprint(1)\ns("id")', 3],
  ['py/process-spawn', 'import os\nx = os.system\nx("id")', 3],
  ['py/process-spawn', 'import os\ny = os\nz = y\nz.popen("id")', 4],
  ['py/process-spawn', 'import subprocess as sp\nsp.run(["ls"])', 2],
  ['py/process-spawn', 'def f():\n    return run("ls")\nfrom subprocess import run', 2],
  ['py/process-spawn', 'from os import *\nsystem("id")', 2],
  ['py/process-spawn', 'import shutil\nshutil.os.system("x")', 2],
  ['py/process-spawn', 'import sys\nsys.modules["os"].system("x")', 2],
  ['py/process-spawn', 'getattr(__import__("os"), "sys" + "tem")("id")', 1],
  ['py/process-spawn', 'a, b = 1, __import__("os")\nb.system("x")', 2],
  ['py/process-spawn', 'import importlib\nm = importlib.import_module("sub" + "process")\nm.run("x")', 3],
  ['py/process-spawn', 'if (p := __import__("os").popen):\n    p("id")', 2],
  ['py/dynamic-code', 'getattr(__builtins__, "ev" + "al")("1")', 1],
  ['py/dynamic-code', 'e = getattr(__builtins__, chr(101) + "val")', 1],
  ['py/dynamic-code', 'f = getattr(__builtins__, "\\x65val")', 1],
  ['py/dynamic-code', 'vars(__builtins__)["exec"]("x")', 1],
  ['py/dynamic-code', 'import builtins\nbuiltins.exec("x")', 2],
  ['py/dynamic-code', 'f = eval\nf("1")', 2],
  ['py/dynamic-code', 'ｅｖａｌ("1")', 1],
  ['py/dynamic-code', 'import builtins as b\nb.__dict__["eval"]("1")', 2],
  ['py/dynamic-import', 'm = __import__("o" + "s")', 1],
  ['py/introspection', 'b = globals()["__builtins__"]', 1],
  ['py/introspection', 'c = getattr(f, "__glo" + "bals__")', 1],
  ['py/network', 'mod = __import__("sock" + "et")', 1],
  ['py/network', 'import urllib.request as r\nr.urlopen(u)', 2],
  ['py/process-spawn', 'import posix\nposix.system("id")', 2],
  ['py/process-spawn', 'import operator, os\noperator.attrgetter("system")(os)("id")', 2],
  ['py/process-spawn', 'import os\nos.ｓｙｓｔｅｍ("id")', 2],
  ['py/process-spawn', 'import os.path\nos.path.os.system("id")', 2],
  [
    'py/dynamic-attribute',
    'from functools import reduce\nimport os\nreduce(getattr, ["system"], os)("id")',
    3,
  ],
];

describe('python rules', () => {
  ruleCaseTests('python', { positive: POSITIVE, negative: NEGATIVE, evasions: EVASIONS });

  it('reports the column of the dangerous name, 1-based, counting UTF-16 units', async () => {
    const found = await findings('é = 1; import os\nv = "😀"; os.system("x")');
    expect(found.find((f) => f.rule === 'py/process-spawn')).toMatchObject({ line: 2, column: 11 });
  });

  it('treats multiprocessing as a warning and the rest as errors', async () => {
    const found = await findings('import multiprocessing\nimport subprocess');
    expect(found.map((f) => [f.rule, f.severity])).toEqual([
      ['py/multiprocessing', 'warning'],
      ['py/process-spawn', 'error'],
    ]);
  });

  it('drops the network rules when the run has network', async () => {
    const source = 'import requests\nrequests.get("https://example.com/x")';
    expect(lines(await findings(source), 'py/network')).toEqual([1, 2]);
    expect(await findings(source, true)).toEqual([]);
  });

  it('explains each finding: what it is, why, and that the sandbox contains it anyway', async () => {
    const [finding] = await findings('import os as o\no.system("id")');
    expect(finding?.message).toContain('`o.system` (os.system)');
    expect(finding?.message).toContain('the sandbox would contain it anyway');
  });

  it('does not trip over deeply nested or huge expressions', async () => {
    const deep = `x = ${'('.repeat(500)}1${')'.repeat(500)}\nimport os\nos.system("x")`;
    expect(lines(await findings(deep), 'py/process-spawn')).toContain(3);
    const chain = `import os\ny = os${'.path'.repeat(200)}.join("a")`;
    expect(await findings(chain)).toEqual([]);
  });
});
