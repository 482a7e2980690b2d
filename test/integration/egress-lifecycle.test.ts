/**
 * Nothing of a sandbox's egress proxy outlives the sandbox (setup: egress-harness.ts): its socket dir goes
 * after a run, a cancelled start, a failed start and a failed session start; and the in-sandbox relay fails
 * loudly when it cannot listen.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { runnerHostPath } from '../../src/sandbox/runtimes/command.js';
import { abortOnceOutput } from '../support/wait.js';
import { useEgressHarness } from './egress-harness.js';

const h = useEgressHarness();

describe('egress proxies never outlive their sandbox', () => {
  it('removes the socket dir after a run, and the dir is 0711 with a socket only the sandbox uid owns', async () => {
    const seen: Array<{ mode: number; socketUid: number; socketMode: number }> = [];
    const result = await h().untilDestroyed(() =>
      h().engine.run({
        language: 'python',
        network: h().grant(),
        source: 'import sys\nprint("running", flush=True)\nsys.stdin.read()',
        ...abortOnceOutput('running', () => {
          for (const dir of h().egressDirs()) {
            const socket = readdirSync(join(h().socketsRoot, dir))[0] ?? '';
            const stat = statSync(join(h().socketsRoot, dir, socket));
            seen.push({
              mode: statSync(join(h().socketsRoot, dir)).mode & 0o777,
              socketUid: stat.uid,
              socketMode: stat.mode & 0o777,
            });
          }
        }),
      }),
    );
    expect(result.error?.kind).toBe('cancelled');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.mode).toBe(0o711);
    if (process.getuid?.() === 0) {
      expect(seen[0]?.socketUid).not.toBe(0);
      expect(seen[0]?.socketMode).toBe(0o600);
    }
    expect(h().egressDirs()).toEqual([]);
  });

  it('closes the proxy when a start is cancelled while the sandbox comes up', async () => {
    const controller = new AbortController();
    const watcher = watch(h().socketsRoot, () => {
      if (h().egressDirs().length > 0) controller.abort();
    });
    try {
      const result = await h().untilDestroyed(() =>
        h().engine.run({
          language: 'python',
          network: h().grant(),
          source: 'print("should not run")',
          signal: controller.signal,
        }),
      );
      expect(controller.signal.aborted).toBe(true);
      expect(result.error?.kind).toBe('cancelled');
      expect(result.stdout).toBe('');
    } finally {
      watcher.close();
    }
    expect(h().egressDirs()).toEqual([]);
  });

  it('closes the proxy when the sandbox fails to start', async () => {
    const broken = await createEngine({
      pool: { size: 0 },
      runtimes: [
        {
          name: 'broken',
          extensions: ['.brk'],
          interpreter: '/bin/bash',
          runner: 'exec',
          mounts: ['/nonexistent/scriptbox-missing-mount'],
        },
      ],
      network: h().engine.networkPolicy,
    });
    try {
      const result = await broken.run({ language: 'broken', source: 'true', network: h().grant() });
      expect(result.error?.kind).toBe('sandbox');
      expect(existsSync(h().socketsRoot)).toBe(true);
      expect(h().egressDirs()).toEqual([]);
    } finally {
      await broken.close();
    }
  });

  it('closes the proxy of a session whose start fails after its sandbox came up', async () => {
    await expect(
      h().engine.createSession({ language: 'python', preload: ['no_such_module_xyz'], network: h().grant() }),
    ).rejects.toThrow(/no_such_module_xyz/);
    expect(h().egressDirs()).toEqual([]);
  });
});

describe('the in-sandbox relay (runners/egress_bridge.py)', () => {
  const bridge = runnerHostPath('python').replace(/python\.py$/, 'egress_bridge.py');

  it('fails loudly, before the command starts, when it cannot listen', () => {
    // The raw service holds h().rawPort on 127.0.0.1: the bridge cannot bind it.
    const taken = spawnSync(
      'python3',
      ['-I', '-S', bridge, String(h().rawPort), '/nonexistent', '--', '/bin/echo', 'ran'],
      {
        encoding: 'utf8',
      },
    );
    expect(taken.status).toBe(125);
    expect(taken.stdout).toBe('');
    expect(taken.stderr).toContain(`cannot listen on 127.0.0.1:${h().rawPort} for the egress proxy`);
    // Positive control: a free port and an existing socket path: the command runs with its argv (and the
    // relay, which watches the command's pidfd, ends with it).
    const free = spawnSync('python3', ['-I', '-S', bridge, '0', h().socketsRoot, '--', '/bin/echo', 'ran'], {
      encoding: 'utf8',
    });
    expect({ status: free.status, stdout: free.stdout, stderr: free.stderr }).toEqual({
      status: 0,
      stdout: 'ran\n',
      stderr: '',
    });
  });
});
