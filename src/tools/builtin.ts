/**
 * The built-in tools: run code, run a saved script, check code, generate (template, LLM), list templates,
 * analyse a table, instrument a source tree, search/get/save/update/delete library scripts, and session
 * file operations. Tool
 * names, schemas and annotations are listed by `ToolRegistry.list()`; see each builtin-*.ts for the
 * definitions.
 */
import { createTemplateRegistry } from '../generate/registry.js';
import { analysisTools } from './builtin-analysis.js';
import type { BuiltinToolDeps } from './builtin-deps.js';
import { extractTools } from './builtin-extract.js';
import { generateTools } from './builtin-generate.js';
import { instrumentTools } from './builtin-instrument.js';
import { libraryTools } from './builtin-library.js';
import { runTools } from './builtin-run.js';
import { DEFAULT_MAX_SESSIONS_PER_PRINCIPAL, SessionStore, sessionTools } from './builtin-sessions.js';
import type { Tool } from './types.js';

export type { BuiltinToolDeps } from './builtin-deps.js';

export interface BuiltinTools {
  tools: Tool[];
  /** Closes the sessions the session tools opened. Idempotent. */
  close(): Promise<void>;
}

export function createBuiltinTools(deps: BuiltinToolDeps): BuiltinTools {
  const templates = deps.templates ?? createTemplateRegistry();
  const sessions = new SessionStore(
    deps.engine,
    deps.maxSessionsPerPrincipal ?? DEFAULT_MAX_SESSIONS_PER_PRINCIPAL,
  );
  return {
    tools: [
      ...runTools(deps),
      ...extractTools(deps),
      ...generateTools(deps, templates),
      ...analysisTools(deps, templates),
      ...instrumentTools(deps),
      ...libraryTools(deps),
      ...sessionTools(deps, sessions),
    ],
    close: () => sessions.closeAll(),
  };
}
