/** Helpers for the Go instrumentation tests: the toolchain check, an offline Go environment, events. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
export const NO_GO = 'go toolchain missing: run scripts/setup.sh';

let cache: string | undefined;
/** GOPATH/GOCACHE in a temp dir shared by the run; nothing fetched (GOPROXY=off, GOFLAGS=-mod=mod). */
export async function goEnv(): Promise<NodeJS.ProcessEnv> {
  cache ??= await mkdtemp(join(tmpdir(), 'sbx-go-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['SCRIPTBOX_TELEMETRY_FILE'];
  return {
    ...env,
    GOCACHE: join(cache, 'cache'),
    GOPATH: join(cache, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    GOTELEMETRY: 'off',
  };
}

/** Removes the run's GOPATH/GOCACHE (call in afterAll). */
export async function cleanupGo(): Promise<void> {
  if (cache !== undefined) await rm(cache, { recursive: true, force: true });
  cache = undefined;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export async function go(cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  const env = { ...(await goEnv()), ...extra };
  const run = spawnSync('go', args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export interface TelemetryEvent {
  ts: number;
  event: 'enter' | 'exit' | 'error';
  function: string;
  file: string;
  line: number;
  durationMs?: number;
}

export async function readEvents(path: string): Promise<TelemetryEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TelemetryEvent);
}

/** Per `file:function`: [enters, exits, errors]. */
export function tally(events: readonly TelemetryEvent[]): Map<string, [number, number, number]> {
  const counts = new Map<string, [number, number, number]>();
  for (const event of events) {
    const key = `${event.file}:${event.function}`;
    const entry = counts.get(key) ?? [0, 0, 0];
    entry[event.event === 'enter' ? 0 : event.event === 'exit' ? 1 : 2]++;
    counts.set(key, entry);
  }
  return counts;
}

/** The `file:function` keys whose enters are not matched one to one by exits and errors. */
export function unbalanced(events: readonly TelemetryEvent[]): string[] {
  return [...tally(events)].filter(([, [enter, exit, error]]) => enter !== exit + error).map(([key]) => key);
}
