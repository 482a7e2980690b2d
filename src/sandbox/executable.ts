/** Finding bubblewrap: the executable every sandbox starts with. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SandboxUnavailableError } from '../errors.js';

/** Absolute path of an executable, searching PATH for a bare name; fails closed with how to install it. */
export function findExecutable(name: string): string {
  const candidates = name.includes('/')
    ? [name]
    : (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new SandboxUnavailableError(
    `bubblewrap (${name}) was not found. Install it (Debian/Ubuntu: apt-get install bubblewrap) or set SCRIPTBOX_BWRAP. ` +
      'To run without isolation anyway, pass --unsafe-no-sandbox (dangerous).',
  );
}
