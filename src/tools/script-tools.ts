/**
 * Saved library scripts that declare parameters (see script-params.ts) as tools: `script_<name>` runs the
 * version it was made from with the parameters as JSON on stdin. syncScriptTools() brings a registry in
 * line with the library: new and changed scripts get (new) tools, deleted ones lose theirs.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Engine } from '../engine/engine.js';
import { paramSchema, type ParamSpec } from '../generate/params.js';
import { LibraryNotFoundError, type Library, type ScriptRecord } from '../library/index.js';
import { runLibraryScript } from '../library/run.js';
import { RUN_TOOL_TIMEOUT_MS, RunScriptOutputSchema } from './builtin-run.js';
import type { ToolRegistry } from './registry.js';
import { parseScriptParams } from './script-params.js';
import { runText } from './text.js';
import { defineTool, type Tool } from './types.js';

/** Most library scripts looked at for parameter declarations. */
export const MAX_SCRIPT_TOOLS = 1000;

export interface ScriptToolDeps {
  engine: Engine;
  library: Library;
}

export interface ScriptToolSync {
  added: string[];
  removed: string[];
  /** Scripts whose declaration is broken (they get no tool), with what is wrong. */
  problems: Array<{ script: string; problem: string }>;
}

/** `script_math_addition_001` for math_addition_001.py; long names end in a digest to stay within 64. */
export function scriptToolName(scriptName: string): string {
  const stem = `script_${scriptName.replace(/\.[a-z]+$/, '')}`;
  if (stem.length <= 64) return stem;
  return `${stem.slice(0, 55)}_${createHash('sha256').update(scriptName).digest('hex').slice(0, 8)}`;
}

export function scriptTool(record: ScriptRecord, specs: ParamSpec[], deps: ScriptToolDeps): Tool {
  const shape = Object.fromEntries(
    specs.map((spec) => [spec.name, paramSchema(spec, { bashStrings: false })]),
  );
  const { name, version } = record;
  return defineTool({
    name: scriptToolName(name),
    title: name,
    description:
      `${record.description || `The saved ${record.language} script ${name}`} ` +
      `(library script ${name} v${version}, run in a fresh sandbox with the parameters as JSON on stdin)`,
    input: z.strictObject(shape),
    output: RunScriptOutputSchema,
    annotations: { readOnly: false, idempotent: false },
    timeoutMs: RUN_TOOL_TIMEOUT_MS,
    metered: { cpuMs: (output) => output.result.usage.cpuMs },
    text: (output) => runText(output.result),
    script: { name, version },
    handler: async (params, { signal, principal }) => {
      const run = await runLibraryScript(deps.library, deps.engine, name, {
        version,
        stdin: JSON.stringify(params),
        signal,
        ...(principal ? { who: principal.name } : {}),
      });
      const { script, result } = run;
      return { script: { name, version, language: script.language }, result, run: run.run };
    },
  });
}

function wantedTools(deps: ScriptToolDeps, problems: ScriptToolSync['problems']) {
  const wanted = new Map<string, { record: ScriptRecord; specs: ParamSpec[] }>();
  for (const summary of deps.library.list({ limit: MAX_SCRIPT_TOOLS })) {
    let record: ScriptRecord;
    try {
      record = deps.library.get(summary.name);
    } catch (err) {
      if (err instanceof LibraryNotFoundError) continue; // deleted meanwhile
      throw err;
    }
    const params = parseScriptParams(record.source);
    if (params === null) continue;
    if ('problem' in params) problems.push({ script: record.name, problem: params.problem });
    else wanted.set(scriptToolName(record.name), { record, specs: params.specs });
  }
  return wanted;
}

/** Registers, replaces and removes script tools so they match the library now. */
export function syncScriptTools(registry: ToolRegistry, deps: ScriptToolDeps): ScriptToolSync {
  const sync: ScriptToolSync = { added: [], removed: [], problems: [] };
  const wanted = wantedTools(deps, sync.problems);
  for (const tool of registry.all()) {
    if (!tool.script) continue;
    const want = wanted.get(tool.name);
    if (want?.record.name === tool.script.name && want.record.version === tool.script.version) {
      wanted.delete(tool.name);
      continue;
    }
    registry.unregister(tool.name);
    sync.removed.push(tool.name);
  }
  for (const [toolName, { record, specs }] of wanted) {
    try {
      registry.register(scriptTool(record, specs, deps));
      sync.added.push(toolName);
    } catch (err) {
      sync.problems.push({ script: record.name, problem: (err as Error).message });
    }
  }
  return sync;
}
