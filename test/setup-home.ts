/** Vitest global setup: every test process uses a throwaway SCRIPTBOX_HOME, never the real one. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const home = mkdtempSync(join(tmpdir(), 'scriptbox-test-home-'));
  process.env['SCRIPTBOX_HOME'] = home;
  return () => rmSync(home, { recursive: true, force: true });
}
