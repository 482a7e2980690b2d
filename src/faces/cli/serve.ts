/**
 * `scriptbox serve [--host 127.0.0.1] [--port 8080] [--json]`: the HTTP API (see src/faces/http) and MCP
 * at /mcp, with the library under SCRIPTBOX_HOME, API tokens from `scriptbox tokens`, and the LLM from
 * SCRIPTBOX_LLM_*.
 * Binds to localhost unless told otherwise. Request logs go to stderr as JSON. Ctrl-C or SIGTERM shuts
 * down gracefully (runs in flight get a grace period, then are cancelled); a second one exits at once.
 */
import { isIP } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createEngine, type Engine } from '../../engine/engine.js';
import { llmProviderFromEnv } from '../../generate/llm/provider.js';
import { openLibrary, type Library } from '../../library/index.js';
import { createGuard } from '../../access/guard.js';
import type { ServiceGuard } from '../../access/guard-types.js';
import { createTemplateRegistry } from '../../generate/registry.js';
import { createToolbox } from '../../tools/index.js';
import { createServer } from '../http/server.js';
import { LOCALHOST_NAMES, mountMcpHttp } from '../mcp/http.js';
import { writeText } from './io.js';
import { cliNetworkPolicy, NetCliOptsSchema, netOptions } from './net-options.js';

const ServeCliOptsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65_535),
    json: z.boolean().default(false),
    grace: z.number().int().min(0).optional(),
    filesTtl: z.number().int().min(1_000).optional(),
  })
  .extend(NetCliOptsSchema.shape);
type ServeCliOpts = z.infer<typeof ServeCliOptsSchema>;

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('expected 0 to 65535.');
  return n;
}

function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected whole seconds.');
  return Number(value) * 1000;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function serveCommand(setExitCode: (code: number) => void): Command {
  const command = new Command('serve')
    .description(
      'serve the HTTP API: runs (also as Server-Sent Events), sessions, batches, generation, checks, the ' +
        'script library, templates, Piston-compatible /api/v2, MCP at /mcp; OpenAPI at /openapi.json',
    )
    .option('--host <host>', 'address to listen on (this machine only unless you change it)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: any free port)', parsePort, 8080)
    .option('--grace <seconds>', 'on shutdown, how long runs in flight may finish (default 10)', parseSeconds)
    .option(
      '--files-ttl <seconds>',
      "how long a run's out/ files too big to return inline stay downloadable by their url (default 3600)",
      (value: string) => {
        if (Number(value) < 1) throw new InvalidArgumentError('expected at least 1 second.');
        return parseSeconds(value);
      },
    )
    .option('--json', 'print where it listens as one JSON object on stdout');
  // The operator's policy: the most any request (run, session, extraction) may be granted; none by default.
  for (const option of netOptions()) command.addOption(option);
  return command.action(async (raw: unknown) => {
    setExitCode(await serve(ServeCliOptsSchema.parse(raw)));
  });
}

/** The HTTP API, and MCP (streamable HTTP) at /mcp with the same tokens; all of it closes with the server. */
async function startServer(
  opts: ServeCliOpts,
  engine: Engine,
  library: Library,
): Promise<{ app: FastifyInstance; guard: ServiceGuard }> {
  const guard = createGuard({ library });
  const templates = createTemplateRegistry();
  const llm = llmProviderFromEnv();
  const log = (line: string): void => void process.stderr.write(`scriptbox serve: ${line}\n`);
  const app = await createServer({
    engine,
    library,
    guard,
    templates,
    llm,
    logger: true,
    ...(opts.grace !== undefined ? { limits: { shutdownGraceMs: opts.grace } } : {}),
    ...(opts.filesTtl !== undefined ? { runFiles: { ttlMs: opts.filesTtl } } : {}),
  });
  const toolbox = createToolbox({
    engine,
    library,
    templates,
    llm,
    onScriptProblem: ({ script, problem }) => log(`${script} gets no tool: ${problem}`),
  });
  const wildcard = opts.host === '0.0.0.0' || opts.host === '::';
  mountMcpHttp(app, {
    registry: toolbox.registry,
    library,
    templates,
    guard,
    allowedHostnames: [...LOCALHOST_NAMES, ...(wildcard ? [] : [hostnameOf(opts.host)])],
    log,
  });
  app.addHook('preClose', () => toolbox.close());
  return { app, guard };
}

function hostnameOf(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function urlOf(hostname: string, port: number): string {
  return `http://${hostname}:${port}`;
}

async function serve(opts: ServeCliOpts): Promise<number> {
  const library = openLibrary();
  let engine: Engine | undefined;
  let started: { app: FastifyInstance; guard: ServiceGuard };
  try {
    const network = cliNetworkPolicy(opts);
    engine = await createEngine(network ? { network } : {});
    started = await startServer(opts, engine, library);
  } catch (err) {
    // Until the server exists nothing else closes them.
    await engine?.close();
    library.close();
    throw err;
  }
  const { app, guard } = started;
  let stopping: Promise<void> | null = null;
  const stopped = new Promise<void>((resolve, reject) => {
    const onSignal = (): void => {
      if (stopping) process.exit(130);
      process.stderr.write('scriptbox: shutting down (runs in flight may finish; again to exit now)\n');
      stopping = app.close().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const url = urlOf(hostnameOf(opts.host), port);
  const tokensRequired = guard.tokensRequired;
  if (opts.json) {
    await writeText(process.stdout, `${JSON.stringify({ url, host: opts.host, port, tokensRequired })}\n`);
  }
  const tokens = tokensRequired
    ? 'API tokens required'
    : 'no API tokens yet, so none required; create one with `scriptbox tokens create --name NAME`';
  await writeText(process.stderr, `scriptbox: listening on ${url} (${tokens})\n`);
  const allowed = opts.allowNet.length > 0 ? opts.allowNet.join(', ') : 'none (see --allow-net)';
  await writeText(process.stderr, `scriptbox: network runs may be granted: ${allowed}\n`);
  if (!LOOPBACK.test(opts.host) && !tokensRequired) {
    await writeText(
      process.stderr,
      `scriptbox: WARNING: ${opts.host} is reachable from other machines and no token is required: anyone ` +
        'who can reach it can run code here. Create a token with `scriptbox tokens create --name NAME`.\n',
    );
  }
  await stopped;
  return 0;
}
