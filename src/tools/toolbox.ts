/**
 * A toolbox: a registry holding the built-in tools and a tool for each library script that declares
 * parameters, kept in line with the library after every change made through the tools. What faces (MCP,
 * HTTP) serve. The engine, library and templates stay the caller's to close.
 */
import type { BuiltinToolDeps } from './builtin-deps.js';
import { createBuiltinTools } from './builtin.js';
import { ToolRegistry, type ToolRegistryOpts } from './registry.js';
import { syncScriptTools, type ScriptToolSync } from './script-tools.js';

export interface ToolboxOpts extends Omit<BuiltinToolDeps, 'onLibraryChange'> {
  registry?: ToolRegistryOpts;
  /** Told about scripts whose parameter declaration is broken (default: ignored). */
  onScriptProblem?: (problem: { script: string; problem: string }) => void;
}

export interface Toolbox {
  readonly registry: ToolRegistry;
  /** Brings the script tools in line with the library (done after each change made through the tools). */
  syncScripts(): ScriptToolSync;
  /** Closes the sessions opened through the tools. Idempotent. */
  close(): Promise<void>;
}

export function createToolbox(opts: ToolboxOpts): Toolbox {
  const { registry: registryOpts, onScriptProblem, ...deps } = opts;
  const registry = new ToolRegistry(registryOpts);
  const syncScripts = (): ScriptToolSync => {
    const sync = syncScriptTools(registry, deps);
    for (const problem of sync.problems) onScriptProblem?.(problem);
    return sync;
  };
  const builtin = createBuiltinTools({ ...deps, onLibraryChange: () => void syncScripts() });
  for (const tool of builtin.tools) registry.register(tool);
  syncScripts();
  return { registry, syncScripts, close: () => builtin.close() };
}
