/**
 * openLibrary(): the script library and generation cache in `<home>/library.db` (SQLite, WAL).
 * One instance owns one connection; close() it when done. Writes are synchronous and each is one
 * transaction, so a failure (or a killed process) never leaves half a change behind.
 */
import { userInfo } from 'node:os';
import { resolveHome } from '../config.js';
import { parseOptions } from '../parse-options.js';
import { ScriptboxError } from '../errors.js';
import { cacheClear, cacheGet, cacheGetMany, cachePut, cachePutMany, cacheStats } from './cache.js';
import { openDatabase, Sql } from './database.js';
import { memoGetMany, memoPutMany } from './memo.js';
import { OpenLibraryOptsSchema, type OpenLibraryOpts } from './options.js';
import { getScript, listScripts, listVersions, readAudit, runHistory, searchScripts } from './reads.js';
import type { Library } from './types.js';
import { deleteScript, recordRun, saveScript, updateScript, type Ctx } from './writes.js';

function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** How each open library reaches its connection, for libraryContext(). */
const contexts = new WeakMap<Library, () => Ctx>();

/** Opens (creating and migrating as needed) the library; home: option > SCRIPTBOX_HOME > ~/.scriptbox. */
export function openLibrary(raw: OpenLibraryOpts = {}): Library {
  const opts = parseOptions(OpenLibraryOptsSchema, raw, 'library options');
  const home = resolveHome(opts.home);
  const { db, path } = openDatabase(home);
  const clock = opts.now ?? (() => new Date());
  const ctx: Ctx = { sql: new Sql(db), now: () => clock().toISOString(), who: opts.who ?? osUser() };
  let closed = false;
  const open = (): Ctx => {
    if (closed)
      throw new ScriptboxError('INTERNAL', 'this library is closed; open it again with openLibrary()');
    return ctx;
  };
  const library: Library = {
    home,
    path,
    who: ctx.who,
    save: (opts) => saveScript(open(), opts),
    update: (name, opts) => updateScript(open(), name, opts),
    get: (name, opts) => getScript(open().sql, name, opts),
    versions: (name) => listVersions(open().sql, name),
    list: (opts) => listScripts(open().sql, opts),
    search: (query, opts) => searchScripts(open().sql, query, opts),
    delete: (name, opts) => deleteScript(open(), name, opts),
    recordRun: (name, version, result, who) => recordRun(open(), name, version, result, who),
    history: (name, opts) => runHistory(open().sql, name, opts),
    audit: (opts) => readAudit(open().sql, opts),
    cacheGet: (key) => cacheGet(open(), key),
    cachePut: (key, entry) => cachePut(open(), key, entry),
    cacheGetMany: (keys) => cacheGetMany(open(), keys),
    cachePutMany: (entries) => cachePutMany(open(), entries),
    cacheStats: () => cacheStats(open()),
    cacheClear: (opts) => cacheClear(open(), opts),
    memoGetMany: (namespace, keys) => memoGetMany(open(), namespace, keys),
    memoPutMany: (namespace, entries, opts) => memoPutMany(open(), namespace, entries, opts),
    close: () => {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  contexts.set(library, open);
  return library;
}

/**
 * The connection, clock and default who of a library from openLibrary(), for the parts of scriptbox
 * that keep their own tables in the same database (the service's tokens and quotas). Throws like the
 * library's own calls once it is closed.
 */
export function libraryContext(library: Library): Ctx {
  const open = contexts.get(library);
  if (!open) throw new ScriptboxError('INTERNAL', 'not a library opened by openLibrary()');
  return open();
}
