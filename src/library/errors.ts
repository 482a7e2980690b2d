/** The library's failures: a name that is not there, or a write that conflicts with what is. */
import { ScriptboxError, type ScriptboxErrorOpts } from '../errors.js';

/** No script (or no such version of it) under that name. */
export class LibraryNotFoundError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('LIBRARY_NOT_FOUND', message, opts);
  }
}

/** The write would break a rule of the library: the script changed meanwhile, or a name is taken. */
export class LibraryConflictError extends ScriptboxError {
  constructor(message: string, opts: ScriptboxErrorOpts = {}) {
    super('LIBRARY_CONFLICT', message, opts);
  }
}

/** Where to list the scripts is each face's to say (data.see): `scriptbox scripts list`, GET /v1/scripts. */
export function noSuchScript(name: string): LibraryNotFoundError {
  return new LibraryNotFoundError(`no script named ${name}`, { data: { name, see: { what: 'scripts' } } });
}
