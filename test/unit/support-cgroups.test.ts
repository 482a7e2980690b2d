/**
 * The tests' cgroup helper (test/support/cgroups.ts) on played v1 and v2 trees: this host has one layout,
 * the suite must read both (v1: a directory per controller and its own file names; v2: one directory,
 * `max` for no limit, engines possibly at the hierarchy root).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CgroupLayout } from '../../src/sandbox/cgroup-layout.js';
import {
  cgroupProcesses,
  engineCgroupDirs,
  isEmpty,
  memoryLimitBytes,
  pidsCurrent,
  pidsLimit,
  sandboxCgroups,
} from '../support/cgroups.js';

const ENGINE = 'scriptbox-0123456789abcdef';
const OTHER_ENGINE = 'scriptbox-fedcba9876543210';
const SANDBOX = 'sandbox-00112233445566ff';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function plant(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

describe('test/support/cgroups.ts', () => {
  it('reads a v1 layout: one directory per controller, limit_in_bytes', () => {
    root = mkdtempSync(join(tmpdir(), 'scriptbox-cgroups-v1-'));
    const at = (controller: string): { version: 1; dir: string; mountPoint: string } => ({
      version: 1,
      dir: join(root, controller, 'own'),
      mountPoint: join(root, controller),
    });
    const layout: CgroupLayout = { memory: at('memory'), pids: at('pids'), cpu: at('cpuacct') };
    plant(join(root, 'memory/own', ENGINE, SANDBOX), {
      'memory.limit_in_bytes': '100663296\n',
      'cgroup.procs': '41\n42\n',
    });
    plant(join(root, 'pids/own', ENGINE, SANDBOX), {
      'pids.max': '5\n',
      'pids.current': '3\n',
      'cgroup.procs': '42\n43\n',
    });
    plant(join(root, 'cpuacct/own', ENGINE, SANDBOX), { 'cgroup.procs': '' });
    plant(join(root, 'memory/own', OTHER_ENGINE, 'sandbox-aaaaaaaaaaaaaaaa'), {});

    const mine = (name: string): boolean => name === ENGINE;
    expect(engineCgroupDirs(mine, undefined, layout).sort()).toEqual(
      ['cpuacct', 'memory', 'pids'].map((c) => join(root, c, 'own', ENGINE)),
    );
    const [cgroup, ...more] = sandboxCgroups(mine, layout);
    expect(more).toEqual([]);
    expect(cgroup?.dirs).toEqual({
      memory: join(root, 'memory/own', ENGINE, SANDBOX),
      pids: join(root, 'pids/own', ENGINE, SANDBOX),
      cpu: join(root, 'cpuacct/own', ENGINE, SANDBOX),
    });
    if (cgroup === undefined) return;
    expect([memoryLimitBytes(cgroup), pidsLimit(cgroup), pidsCurrent(cgroup)]).toEqual([
      96 * 1_048_576,
      5,
      3,
    ]);
    expect(cgroupProcesses(cgroup)).toEqual([41, 42, 43]);
    expect(isEmpty(cgroup)).toBe(false);
    rmSync(join(root, 'memory/own', ENGINE), { recursive: true });
    // Half gone (being removed): no longer a sandbox; its files read as gone.
    expect(sandboxCgroups(mine, layout)).toEqual([]);
    expect(memoryLimitBytes(cgroup)).toBeNull();
  });

  it('reads a v2 layout: one directory for all, `max`, engines at the root when ours holds processes', () => {
    root = mkdtempSync(join(tmpdir(), 'scriptbox-cgroups-v2-'));
    const loc = { version: 2 as const, dir: join(root, 'own.scope'), mountPoint: root };
    const layout: CgroupLayout = { memory: loc, pids: loc, cpu: loc };
    plant(join(root, ENGINE, SANDBOX), {
      'memory.max': 'max\n',
      'pids.max': 'max\n',
      'pids.current': '0\n',
      'cgroup.procs': '',
    });
    plant(join(root, 'own.scope'), { 'cgroup.procs': '7\n' });

    expect(engineCgroupDirs(undefined, undefined, layout)).toEqual([join(root, ENGINE)]);
    const cgroups = sandboxCgroups(() => true, layout);
    const dir = join(root, ENGINE, SANDBOX);
    expect(cgroups).toEqual([
      {
        name: SANDBOX,
        engine: ENGINE,
        dirs: { memory: dir, pids: dir, cpu: dir },
        versions: { memory: 2, pids: 2, cpu: 2 },
      },
    ]);
    const [cgroup] = cgroups;
    if (cgroup === undefined) return;
    expect([memoryLimitBytes(cgroup), pidsLimit(cgroup), pidsCurrent(cgroup)]).toEqual([
      Infinity,
      Infinity,
      0,
    ]);
    expect(isEmpty(cgroup)).toBe(true);
  });
});
