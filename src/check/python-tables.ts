/**
 * What the Python rules look for, as fully qualified names (after aliases are resolved: `o.system` with
 * `import os as o` is `os.system`; the builtin `eval` is `builtins.eval`). See report.ts matchesName().
 */
import type { NameRule } from './report.js';

const each = (rule: string, patterns: string[]): NameRule[] => patterns.map((pattern) => ({ pattern, rule }));

export const PY_NAME_RULES: readonly NameRule[] = [
  ...each('py/process-spawn', [
    'os.system',
    'os.popen',
    'os.exec*',
    'os.spawn*',
    'os.fork*',
    'os.posix_spawn*',
    'os.startfile',
    'subprocess',
    'pty',
    'asyncio.create_subprocess_*',
    'platform.popen',
    'commands',
    'popen2',
  ]),
  ...each('py/multiprocessing', [
    'multiprocessing',
    'concurrent.futures.ProcessPoolExecutor',
    'concurrent.futures.process',
  ]),
  ...each('py/dynamic-code', [
    'builtins.eval',
    'builtins.exec',
    'builtins.compile',
    'builtins.execfile',
    'runpy',
    'code',
    'codeop',
    'types.CodeType',
    'types.FunctionType',
    'marshal.load*',
  ]),
  ...each('py/dynamic-import', [
    'builtins.__import__',
    'importlib.__import__',
    'importlib.reload',
    'importlib.machinery',
    'importlib.util.spec_from_file_location',
    'importlib.util.module_from_spec',
    'imp',
    'zipimport',
  ]),
  ...each('py/network', [
    'socket',
    'ssl',
    'socketserver',
    'asyncore',
    'asynchat',
    'asyncio.open_connection',
    'asyncio.open_unix_connection',
    'asyncio.start_server',
    'asyncio.start_unix_server',
    'urllib.request',
    'urllib.urlopen',
    'urllib2',
    'urllib3',
    'http.client',
    'http.server',
    'httplib',
    'xmlrpc',
    'ftplib',
    'smtplib',
    'smtpd',
    'telnetlib',
    'poplib',
    'imaplib',
    'nntplib',
    'webbrowser',
    'requests',
    'httpx',
    'aiohttp',
    'websocket',
    'websockets',
    'paramiko',
    'pycurl',
    'grpc',
    'zmq',
    'dns',
    'scapy',
    'twisted',
    'tornado',
    'pymongo',
    'redis',
    'psycopg2',
    'pymysql',
    'boto3',
    'botocore',
  ]),
  ...each('py/ffi', ['ctypes', '_ctypes', 'cffi', '_cffi_backend']),
  ...each('py/introspection', [
    'sys._getframe',
    'sys._current_frames',
    'inspect.currentframe',
    'inspect.stack',
    'inspect.trace',
    'gc.get_referrers',
    'gc.get_referents',
    'gc.get_objects',
  ]),
  ...each('py/fs-chdir', ['os.chroot']),
  ...each(
    'py/sys-modules',
    ['update', 'pop', 'popitem', 'setdefault', 'clear', '__setitem__', '__delitem__'].map(
      (m) => `sys.modules.${m}`,
    ),
  ),
];

/** Attribute names that reach interpreter internals (`().__class__.__base__.__subclasses__()`, frames). */
export const INTROSPECTION_ATTRS: ReadonlySet<string> = new Set([
  '__subclasses__',
  '__globals__',
  '__builtins__',
  '__code__',
  '__closure__',
  '__self__',
  '__mro__',
  '__bases__',
  '__base__',
  '__getattribute__',
  '__loader__',
  '__import__',
  'f_globals',
  'f_locals',
  'f_builtins',
  'f_back',
  'gi_frame',
  'cr_frame',
  'ag_frame',
  'tb_frame',
]);

/** Builtins the rules care about (an unbound identifier with one of these names is the builtin). */
export const PY_BUILTINS: ReadonlySet<string> = new Set([
  'eval',
  'exec',
  'compile',
  'execfile',
  '__import__',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'chr',
  'open',
]);

/** Calls whose attribute-name argument (by position) must be a literal. */
export const NAME_LOOKUPS: ReadonlyMap<string, number> = new Map([
  ['builtins.getattr', 1],
  ['builtins.setattr', 1],
  ['builtins.delattr', 1],
  ['operator.attrgetter', 0],
  ['operator.methodcaller', 0],
]);

/** Modules other modules re-export as attributes (`shutil.os`, `os.sys`): `x.os.system` is still os.system. */
export const REEXPORTED_MODULES: ReadonlySet<string> = new Set([
  'os',
  'sys',
  'subprocess',
  'socket',
  'builtins',
  'ctypes',
  'importlib',
  'multiprocessing',
]);

/** Modules that are another module under a different name (`posix.system` is `os.system`). */
export const MODULE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['posix', 'os'],
  ['nt', 'os'],
  ['_posixsubprocess', 'subprocess'],
  ['_socket', 'socket'],
  ['_ssl', 'ssl'],
]);

/** `posix.system` → `os.system`. */
export function canonicalModule(dotted: string): string {
  const [top = dotted, ...rest] = dotted.split('.');
  const canonical = MODULE_ALIASES.get(top);
  return canonical === undefined ? dotted : [canonical, ...rest].join('.');
}
