/** The script library: save, list and search, show, update, delete, and run saved scripts. */
import { runLibraryScript } from '../../library/run.js';
import {
  DeletedScriptSchema,
  ScriptRecordSchema,
  type RunRecord,
  type ScriptRecord,
} from '../../library/types.js';
import { checkedRun } from '../../workflows/checked-run.js';
import { guarded, networkAudit, runDetails, type ServerContext } from './context.js';
import { route, type Route } from './route.js';
import { runInputs } from './routes-runs.js';
import {
  GetQuerySchema,
  ListQuerySchema,
  SaveBodySchema,
  ScriptListSchema,
  ScriptNameParamsSchema,
  ScriptRunAnswerSchema,
  ScriptRunBodySchema,
  UpdateBodySchema,
} from './schemas.js';

function changed(script: ScriptRecord): Record<string, unknown> {
  return { ok: true, version: script.version, sha256: script.sha256 };
}

export function libraryRoutes(ctx: ServerContext): Route[] {
  const { library, guard, engine } = ctx;
  return [
    route({
      method: 'POST',
      url: '/v1/scripts',
      tag: 'library',
      summary: 'Save a script as version 1 under the next free category_task_NNN.ext name',
      body: SaveBodySchema,
      response: { status: 201, description: 'The saved script (ScriptRecord)', schema: ScriptRecordSchema },
      handle: ({ body, reply, principal }) => {
        const saved = library.save({ ...body, who: principal.name });
        guard.audit(principal, 'script.save', saved.name, changed(saved));
        void reply.code(201);
        return Promise.resolve(saved);
      },
    }),
    route({
      method: 'GET',
      url: '/v1/scripts',
      tag: 'library',
      summary: 'List scripts (sorted by name), or with ?q= search them (best first)',
      query: ListQuerySchema,
      response: { schema: ScriptListSchema },
      handle: ({ query }) => {
        const { q, ...filters } = query;
        if (q === undefined) return Promise.resolve({ scripts: library.list(filters) });
        const hits = library.search(q, { limit: filters.limit });
        const scripts = hits.filter(
          (hit) =>
            (filters.category === undefined || hit.category === filters.category) &&
            (filters.language === undefined || hit.language === filters.language),
        );
        return Promise.resolve({ scripts });
      },
    }),
    route({
      method: 'GET',
      url: '/v1/scripts/:name',
      tag: 'library',
      summary: 'One script with its source, at its current version or ?version=',
      params: ScriptNameParamsSchema,
      query: GetQuerySchema,
      response: { schema: ScriptRecordSchema },
      handle: ({ params, query }) => Promise.resolve(library.get(params.name, query)),
    }),
    route({
      method: 'PUT',
      url: '/v1/scripts/:name',
      tag: 'library',
      summary: 'Update a script: the source becomes a new version (give baseVersion to refuse lost updates)',
      params: ScriptNameParamsSchema,
      body: UpdateBodySchema,
      response: { description: 'The script at its new version', schema: ScriptRecordSchema },
      handle: ({ params, body, principal }) => {
        const updated = library.update(params.name, { ...body, who: principal.name });
        guard.audit(principal, 'script.update', updated.name, changed(updated));
        return Promise.resolve(updated);
      },
    }),
    route({
      method: 'DELETE',
      url: '/v1/scripts/:name',
      tag: 'library',
      summary: 'Delete a script with its versions and run history (the audit log keeps the deletion)',
      params: ScriptNameParamsSchema,
      response: { description: 'What was deleted', schema: DeletedScriptSchema },
      handle: ({ params, principal }) => {
        const deleted = library.delete(params.name, { who: principal.name });
        guard.audit(principal, 'script.delete', deleted.name, { ok: true, ...deleted });
        return Promise.resolve(deleted);
      },
    }),
    route({
      method: 'POST',
      url: '/v1/scripts/:name/runs',
      tag: 'library',
      summary: 'Run a saved script (current version or `version`); the run is kept in its history',
      params: ScriptNameParamsSchema,
      body: ScriptRunBodySchema,
      response: { schema: ScriptRunAnswerSchema },
      handle: async ({ params, body, reply, principal }) => {
        const script = library.get(params.name, { version: body.version });
        const outcome = await guarded(ctx, {
          principal,
          reply,
          action: 'script.run',
          target: script.name,
          network: body.network,
          work: async (signal) => {
            const recorded: { run: RunRecord | null } = { run: null };
            const result = await checkedRun({
              language: script.language,
              source: script.source,
              policy: body.checks,
              run: async () => {
                const done = await runLibraryScript(library, engine, script.name, {
                  ...runInputs(body, signal, networkAudit(ctx, principal)),
                  version: script.version,
                  who: principal.name,
                });
                recorded.run = done.run;
                return done.result;
              },
            });
            return { result, run: recorded.run };
          },
          cpuMs: ({ result }) => result.usage.cpuMs,
          details: ({ result }) => ({ ...runDetails(result), version: script.version }),
        });
        return { name: script.name, version: script.version, ...outcome };
      },
    }),
  ];
}
