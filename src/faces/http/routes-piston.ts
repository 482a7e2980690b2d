/** Piston-compatible endpoints, so existing Piston clients and bots work against scriptbox unchanged. */
import { InvalidOptionsError, UnknownRuntimeError } from '../../errors.js';
import { guardedRun, type ServerContext } from './context.js';
import {
  pistonContent,
  pistonLimits,
  pistonProblem,
  pistonRun,
  PistonExecuteResultSchema,
  PistonExecuteSchema,
  PistonRuntimesSchema,
} from './piston.js';
import { route, type Route } from './route.js';

export function pistonRoutes(ctx: ServerContext): Route[] {
  const { engine, versions } = ctx;
  return [
    route({
      method: 'GET',
      url: '/api/v2/runtimes',
      tag: 'piston',
      summary: 'Piston: the runtimes, as [{ language, version, aliases, runtime? }]',
      response: { schema: PistonRuntimesSchema },
      handle: () =>
        Promise.all(
          engine.runtimes.list().map(async (spec) => ({
            language: spec.name,
            version: await versions.get(spec),
            aliases: spec.aliases,
            ...(spec.runner === 'node' ? { runtime: 'node' } : {}),
          })),
        ),
    }),
    route({
      method: 'POST',
      url: '/api/v2/execute',
      tag: 'piston',
      summary:
        'Piston: run the first file (the others are input files); answers { language, version, run: ' +
        '{ stdout, stderr, output, code, signal } }, errors as { message } (status 400 for a bad request)',
      body: PistonExecuteSchema,
      response: { schema: PistonExecuteResultSchema },
      bodySchema: (raw) => {
        const problem = pistonProblem(raw);
        if (problem !== null) throw new InvalidOptionsError(problem, [problem]);
        return PistonExecuteSchema;
      },
      handle: async ({ body, reply, principal }) => {
        const spec = engine.runtimes
          .list()
          .find(
            (s) => s.name === body.language.toLowerCase() || s.aliases.includes(body.language.toLowerCase()),
          );
        // Piston's own words, which its clients may look for.
        if (!spec) throw new UnknownRuntimeError(`${body.language}-${body.version} runtime is unknown`);
        const limits = pistonLimits(body);
        const [main, ...inputs] = body.files;
        const source = main ? pistonContent(main).toString() : '';
        const files = inputs.map((file, i) => ({
          name: file.name ?? `file${i + 1}`,
          content: pistonContent(file),
        }));
        let output = '';
        const result = await guardedRun(ctx, {
          principal,
          reply,
          action: 'run',
          target: spec.name,
          work: (signal) =>
            engine.run({
              language: spec.name,
              source,
              stdin: body.stdin,
              args: body.args,
              files,
              limits,
              signal,
              onStdout: (text) => (output += text),
              onStderr: (text) => (output += text),
            }),
        });
        return { language: spec.name, version: await versions.get(spec), run: pistonRun(result, output) };
      },
    }),
  ];
}
