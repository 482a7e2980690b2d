/** Piston-compatible endpoints, so existing Piston clients and bots work against scriptbox unchanged. */
import { LimitAboveCeilingError } from '../../engine/ceilings.js';
import { guardedRun, type ServerContext } from './context.js';
import { HttpError } from './errors.js';
import {
  pistonCeilingMessage,
  pistonContent,
  pistonLimits,
  pistonProblem,
  pistonRun,
  PistonExecuteSchema,
  withArgs,
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
        '{ stdout, stderr, output, code, signal } }, errors as { message } with status 400',
      body: PistonExecuteSchema,
      bodySchema: (raw) => {
        const problem = pistonProblem(raw);
        if (problem !== null) throw new HttpError(400, 'INVALID_OPTIONS', problem);
        return PistonExecuteSchema;
      },
      handle: async ({ body, reply, principal }) => {
        const spec = engine.runtimes
          .list()
          .find(
            (s) => s.name === body.language.toLowerCase() || s.aliases.includes(body.language.toLowerCase()),
          );
        if (!spec)
          throw new HttpError(400, 'UNKNOWN_RUNTIME', `${body.language}-${body.version} runtime is unknown`);
        const limits = pistonLimits(body);
        if (typeof limits === 'string') throw new HttpError(400, 'INVALID_OPTIONS', limits);
        const [main, ...inputs] = body.files;
        const source = withArgs(spec, main ? pistonContent(main).toString() : '', body.args);
        if (source === null)
          throw new HttpError(
            400,
            'INVALID_OPTIONS',
            `args are not supported for ${spec.name}; pass input on stdin`,
          );
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
              files,
              limits,
              signal,
              onStdout: (text) => (output += text),
              onStderr: (text) => (output += text),
            }),
        }).catch((err: unknown) => {
          // The engine refuses it in its own words (limits.memoryMb); say it in Piston's (run_memory_limit).
          if (err instanceof LimitAboveCeilingError)
            throw new HttpError(400, err.code, pistonCeilingMessage(err.breach));
          throw err;
        });
        return { language: spec.name, version: await versions.get(spec), run: pistonRun(result, output) };
      },
    }),
  ];
}
