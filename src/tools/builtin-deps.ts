/** What the built-in tools work with; the caller owns (and closes) each of these. */
import type { Engine } from '../engine/engine.js';
import type { LlmProvider } from '../generate/llm/provider.js';
import type { TemplateRegistry } from '../generate/registry.js';
import type { Library } from '../library/index.js';

export interface BuiltinToolDeps {
  engine: Engine;
  library: Library;
  /** Template packs (default: the built-in and SCRIPTBOX_TEMPLATES packs). */
  templates?: TemplateRegistry;
  /** The model for generate_with_llm; without one that tool is left out. */
  llm?: LlmProvider | null;
  /** Called after a tool changed the library (save, update, delete), e.g. to refresh script tools. */
  onLibraryChange?: () => void;
  /** Most open sessions per principal (default 8). */
  maxSessionsPerPrincipal?: number;
}
