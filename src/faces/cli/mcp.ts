/**
 * `scriptbox mcp`: the tool registry, library scripts and templates for an MCP client over stdio. stdout
 * carries the protocol and nothing else; notes go to stderr. Runs as the local user (the library's who);
 * ends when the client closes stdin, or on SIGINT/SIGTERM (a second one exits at once).
 */
import { Command } from 'commander';
import { createEngine } from '../../engine/engine.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { createTemplateRegistry } from '../../generate/registry.js';
import { openLibrary } from '../../library/index.js';
import { createToolbox } from '../../tools/index.js';
import { serveMcpStdio } from '../mcp/stdio.js';
import { Interrupt } from './interrupt.js';

const log = (line: string): void => {
  process.stderr.write(`scriptbox mcp: ${line}\n`);
};

export function mcpCommand(setExitCode: (code: number) => void): Command {
  return new Command('mcp')
    .description(
      'serve the tools (run, check, generate, library, sessions), saved scripts and templates to an MCP ' +
        'client over stdio; SCRIPTBOX_HOME picks the library, SCRIPTBOX_LLM_* enable generate_with_llm',
    )
    .action(async () => {
      setExitCode(await serve());
    });
}

async function serve(): Promise<number> {
  const engine = await createEngine();
  const library = openLibrary();
  const interrupt = new Interrupt();
  try {
    const templates = createTemplateRegistry();
    const toolbox = createToolbox({
      engine,
      library,
      templates,
      llm: llmProviderFromEnv(),
      onScriptProblem: ({ script, problem }) => log(`${script} gets no tool: ${problem}`),
    });
    try {
      const principal = { tokenId: null, name: library.who };
      const connection = await serveMcpStdio({
        registry: toolbox.registry,
        library,
        templates,
        principal,
        log,
      });
      interrupt.signal.addEventListener('abort', () => void connection.stop(), { once: true });
      log(`ready: ${toolbox.registry.list().length} tools, library ${library.path}`);
      await connection.done;
    } finally {
      await toolbox.close();
    }
  } finally {
    interrupt.dispose();
    await engine.close();
    library.close();
  }
  return interrupt.exitCode ?? 0;
}
