/**
 * The layers of src/, lowest first: the one place their order is written down. A file may import from its
 * own unit, from the other units of its layer only when they are not peers (see `peers`), and from every
 * layer below; never from a layer above. test/unit/layers.test.ts checks every import in src/ (static,
 * `export ... from`, type-only and `import()` with a string literal) against this list, and that no files
 * import each other in a cycle. README.md ("Architecture") draws the same picture.
 */

export interface Layer {
  name: string;
  /** Units of the layer, each with its paths under src/ (a folder ends with `/`). */
  units: Readonly<Record<string, readonly string[]>>;
  /** Units of one layer that may not import each other (a layer of one unit has none). */
  peers: boolean;
  /** Why the layer sits where it does. */
  why: string;
}

export const LAYERS: readonly Layer[] = [
  {
    name: 'base',
    units: { base: ['errors.ts', 'text.ts', 'control-chars.ts', 'parse-options.ts', 'layers.ts'] },
    peers: false,
    why: 'shared leaves: the error root, wording helpers, control characters, schema-first option parsing',
  },
  {
    name: 'sandbox',
    units: { sandbox: ['sandbox/'] },
    peers: false,
    why: 'isolation: bwrap, seccomp, cgroups, uids, runtimes, runners, limits and what a run ends with, the self-test',
  },
  {
    name: 'network',
    units: { network: ['network/'] },
    peers: false,
    why:
      'the host egress proxy a granted sandbox reaches over a Unix socket: allowlist, resolver, address ' +
      'classes, CONNECT/SNI/Host checks, SOCKS5, per-run accounting; it knows nothing of sandboxes',
  },
  {
    name: 'config',
    units: { config: ['config.ts'] },
    peers: false,
    why:
      'the one place that reads SCRIPTBOX_*: it validates with the sandbox schemas (limits, uid range), and ' +
      'the sandbox gets its settings passed in, never from the environment',
  },
  {
    name: 'engine',
    units: { engine: ['engine/'] },
    peers: false,
    why: 'runs scripts in the sandbox: options, sessions, warm pool, batch, ceilings, results, events',
  },
  {
    name: 'resources',
    units: { check: ['check/'], generate: ['generate/'], library: ['library/'] },
    peers: true,
    why:
      'what workflows combine, each on the engine alone: static checks (tree-sitter), generation (templates, ' +
      'LLM), the script store (SQLite); apart, each subpath export (scriptbox/check, /generate, /library) ' +
      'loads only its own dependencies',
  },
  {
    name: 'access',
    units: { access: ['access/'] },
    peers: false,
    why: 'who may use the service and how much: tokens, rate limits, quotas, audit (kept in the library)',
  },
  {
    name: 'workflows',
    units: { workflows: ['workflows/'] },
    peers: false,
    why: 'use cases that call check, generate, library and the engine: check-then-run, data analysis, the chat',
  },
  {
    name: 'tools',
    units: { tools: ['tools/'] },
    peers: false,
    why: 'typed tools (zod -> JSON Schema) over the engine, library, generation and workflows, for the faces',
  },
  {
    name: 'faces',
    units: { faces: ['faces/'] },
    peers: false,
    why: 'adapt workflows, tools and the engine to a medium: CLI, HTTP (+ Piston), MCP, Telegram',
  },
  {
    name: 'api',
    units: { api: ['index.ts'] },
    peers: false,
    why: 'the curated public API (package.json "."); subpath exports point into the layers below',
  },
];
