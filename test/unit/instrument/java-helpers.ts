/** Helpers for the Java instrumentation tests: toolchain checks, plain javac/java runs, source lists. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

export { readEvents, tally, type TelemetryEvent } from './go-helpers.js';

export const hasJava =
  spawnSync('javac', ['-version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
export const NO_JAVA = 'javac/java missing: run scripts/setup.sh (default-jdk-headless)';

/** Debian's junit4 (with hamcrest), for the vendored project's own JUnit 4 tests. */
export const JUNIT_CLASSPATH = ['/usr/share/java/junit4.jar', '/usr/share/java/hamcrest-core.jar'];
export const hasJunit = hasJava && JUNIT_CLASSPATH.every((jar) => existsSync(jar));
export const NO_JUNIT = 'junit4 missing: run scripts/setup.sh (junit4)';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in `cwd` with SCRIPTBOX_TELEMETRY_FILE unset unless `telemetry` is given. */
export function run(cwd: string, cmd: string, args: string[], telemetry?: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  delete env['JAVA_TOOL_OPTIONS'];
  if (telemetry !== undefined) env['SCRIPTBOX_TELEMETRY_FILE'] = telemetry;
  const done = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

/** Every `.java` file under `dir`, relative to `cwd`, sorted. */
export async function javaSources(cwd: string, dir = cwd): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await javaSources(cwd, path)));
    else if (entry.name.endsWith('.java')) found.push(relative(cwd, path));
  }
  return found.sort();
}

/** javac (all lint warnings on) over every source of `cwd` into `classes`. */
export async function javac(cwd: string, classes: string, classpath: readonly string[] = []): Promise<Run> {
  const cp = classpath.length > 0 ? ['-cp', classpath.join(':')] : [];
  const sources = await javaSources(cwd);
  return run(cwd, 'javac', ['-Xlint:all', '-encoding', 'UTF-8', '-d', classes, ...cp, ...sources]);
}
