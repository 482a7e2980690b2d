/**
 * The rule catalogue: every rule the checker can report, with a stable id (`py/`, `js/` for JavaScript and
 * TypeScript, `sh/` for bash), its severity and why it exists. Findings take their severity and the second
 * half of their message from here, so docs, tests and reports cannot drift apart.
 */
import type { CheckLanguage, RuleInfo, Severity } from './types.js';

const PY: readonly CheckLanguage[] = ['python'];
const JS: readonly CheckLanguage[] = ['javascript', 'typescript'];
const SH: readonly CheckLanguage[] = ['bash'];

const CONTAINED = 'the sandbox would contain it anyway';
const NO_NET = `runs have no network unless they ask for it (${CONTAINED}: it has no network interface but lo)`;
const NO_HOST = `a script only needs its work directory (${CONTAINED}: host files are not mounted and the rest is read-only)`;
const SPAWN = `a generated script computes in its own process (${CONTAINED}: children share its namespaces and limits)`;
const EVAL = `code built at run time cannot be checked before it runs (${CONTAINED}, with the same limits)`;
const SYNTAX = 'the script cannot run as written (the runtime would reject it too)';

function rule(
  id: string,
  severity: Severity,
  languages: readonly CheckLanguage[],
  description: string,
  network?: 'network',
): RuleInfo {
  return { id, severity, languages, description, ...(network ? { onlyWithoutNetwork: true as const } : {}) };
}

export const RULES: readonly RuleInfo[] = [
  rule('py/syntax', 'error', PY, SYNTAX),
  rule('py/process-spawn', 'error', PY, `starts another program or shell: ${SPAWN}`),
  rule(
    'py/multiprocessing',
    'warning',
    PY,
    `starts worker processes; fine for data work, but they count against the run's process and memory limits (${CONTAINED})`,
  ),
  rule('py/dynamic-code', 'error', PY, `runs code from a string or code object: ${EVAL}`),
  rule('py/dynamic-import', 'error', PY, `imports a module chosen at run time: ${EVAL}`),
  rule('py/network', 'error', PY, `opens network connections: ${NO_NET}`, 'network'),
  rule('py/network-url', 'warning', PY, `names a remote URL: ${NO_NET}`, 'network'),
  rule('py/fs-system-path', 'error', PY, `names a host system path: ${NO_HOST}`),
  rule('py/fs-traversal', 'error', PY, `climbs out of the work directory with "..": ${NO_HOST}`),
  rule('py/fs-chdir', 'error', PY, `changes the root or leaves the work directory: ${NO_HOST}`),
  rule(
    'py/ffi',
    'error',
    PY,
    `calls native code directly (ctypes/cffi), around every Python-level check (${CONTAINED}: native code gets the same namespaces and limits)`,
  ),
  rule(
    'py/introspection',
    'error',
    PY,
    `reaches interpreter internals (builtins, frames, globals, subclasses), the classic way around Python-level restrictions (${CONTAINED})`,
  ),
  rule(
    'py/dynamic-attribute',
    'error',
    PY,
    `looks up an attribute or global by a computed name, which hides what is really used (${CONTAINED})`,
  ),
  rule(
    'py/sys-modules',
    'error',
    PY,
    `replaces or removes loaded modules, which changes what later imports return (${CONTAINED})`,
  ),

  rule('js/syntax', 'error', JS, SYNTAX),
  rule('js/process-spawn', 'error', JS, `starts another program or shell (child_process): ${SPAWN}`),
  rule(
    'js/worker',
    'warning',
    JS,
    `starts worker threads or processes; they count against the run's process and memory limits (${CONTAINED})`,
  ),
  rule('js/dynamic-code', 'error', JS, `runs code from a string (eval, Function, vm): ${EVAL}`),
  rule(
    'js/dynamic-require',
    'error',
    JS,
    `loads a module whose name is computed, or goes through the module loader's internals: ${EVAL}`,
  ),
  rule('js/network', 'error', JS, `opens network connections: ${NO_NET}`, 'network'),
  rule('js/network-url', 'warning', JS, `names a remote URL: ${NO_NET}`, 'network'),
  rule(
    'js/ffi',
    'error',
    JS,
    `reaches Node's native bindings or loads native code, around every JavaScript-level check (${CONTAINED})`,
  ),
  rule('js/fs-system-path', 'error', JS, `names a host system path: ${NO_HOST}`),
  rule('js/fs-traversal', 'error', JS, `climbs out of the work directory with "..": ${NO_HOST}`),
  rule(
    'js/global-computed',
    'error',
    JS,
    `reads globalThis, process, module or require by a computed name, which hides what is really used (${CONTAINED})`,
  ),

  rule('sh/syntax', 'error', SH, SYNTAX),
  rule('sh/network', 'error', SH, `a network client: ${NO_NET}`, 'network'),
  rule('sh/dev-tcp', 'error', SH, `opens a TCP/UDP connection through bash's /dev/tcp: ${NO_NET}`, 'network'),
  rule('sh/eval', 'error', SH, `eval runs a string as shell code: ${EVAL}`),
  rule('sh/source-computed', 'error', SH, `sources a file whose name is computed: ${EVAL}`),
  rule('sh/shell-c', 'error', SH, `a shell or interpreter runs code that is computed or piped in: ${EVAL}`),
  rule(
    'sh/computed-command',
    'warning',
    SH,
    `the command name comes from an expansion, so what runs cannot be known before it runs (${CONTAINED})`,
  ),
  rule('sh/system-path-write', 'error', SH, `writes to a host system path: ${NO_HOST}`),
  rule(
    'sh/privilege',
    'error',
    SH,
    `tries to gain privileges or change namespaces and mounts (${CONTAINED}: no capabilities, no_new_privs, nosuid)`,
  ),
  rule(
    'sh/daemon',
    'warning',
    SH,
    `detaches a process to outlive the script (${CONTAINED}: everything is killed when the run ends)`,
  ),
];

const BY_ID = new Map(RULES.map((info) => [info.id, info]));

/** The catalogue entry for `id`; throws on an unknown id (a bug in a detector, never user input). */
export function ruleInfo(id: string): RuleInfo {
  const info = BY_ID.get(id);
  if (info === undefined) throw new Error(`unknown check rule ${id}`);
  return info;
}
