import { describe, expect, it } from 'vitest';
import { buildBwrapArgs, FD, syntheticEtc, WORK_DIR } from '../../src/sandbox/bwrap.js';

const layout = {
  diskBytes: 1_048_576,
  extraMounts: ['/opt/runtime'],
  dataFiles: [{ dest: '/work/main.py', fd: FD.firstData }],
  env: { PATH: '/usr/bin', HOME: '/work' },
  command: ['/usr/bin/python3', 'main.py'],
};

/** Pairs of (option, value...) as they appear, to look up binds without caring about order. */
function bindsOf(args: string[]): Array<[string, string, string]> {
  const binds: Array<[string, string, string]> = [];
  args.forEach((arg, i) => {
    if (/^--(ro-)?bind(-try)?$|^--dev-bind/.test(arg))
      binds.push([arg, args[i + 1] ?? '', args[i + 2] ?? '']);
  });
  return binds;
}

describe('buildBwrapArgs', () => {
  const args = buildBwrapArgs(layout);

  it('unshares every namespace, drops capabilities and ties the sandbox to its parent', () => {
    for (const flag of [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--die-with-parent',
      '--new-session',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args.slice(args.indexOf('--cap-drop'), args.indexOf('--cap-drop') + 2)).toEqual([
      '--cap-drop',
      'ALL',
    ]);
    expect(args[args.indexOf('--uid') + 1]).not.toBe('0');
    expect(args).not.toContain('--share-net');
  });

  it('binds only read-only host paths, never /, the home dir, the project or /tmp', () => {
    const binds = bindsOf(args);
    for (const [option, source] of binds) {
      expect(option.startsWith('--ro-bind'), `${option} ${source}`).toBe(true);
      expect(source).not.toBe('/');
      expect(source.startsWith('/home') || source.startsWith('/root') || source.startsWith('/tmp')).toBe(
        false,
      );
      expect(process.cwd().startsWith(source) && source !== '/usr').toBe(false);
    }
    expect(binds.map((b) => b[1])).toEqual(expect.arrayContaining(['/usr', '/opt/runtime']));
  });

  it('gives /work, /tmp and /dev/shm a size-capped tmpfs and makes / and /dev read-only', () => {
    for (const dir of [WORK_DIR, '/tmp', '/dev/shm']) {
      const at = args.findIndex((arg, i) => arg === '--tmpfs' && args[i + 1] === dir);
      expect(at, dir).toBeGreaterThan(0);
      const sizeAt = args.lastIndexOf('--size', at);
      expect(args[sizeAt + 1]).toBe('1048576');
    }
    const remounted = args.flatMap((arg, i) => (arg === '--remount-ro' ? [args[i + 1]] : []));
    expect(remounted).toEqual(['/dev', '/']);
    expect(args[args.indexOf('--chdir') + 1]).toBe(WORK_DIR);
  });

  it('clears the environment and sets only the given variables', () => {
    expect(args).toContain('--clearenv');
    const setenv = args.flatMap((arg, i) => (arg === '--setenv' ? [args[i + 1]] : []));
    expect(setenv).toEqual(['PATH', 'HOME']);
  });

  it('places data files read-only from their fds and ends with the command', () => {
    const at = args.indexOf('--ro-bind-data');
    expect(args.slice(at - 2, at + 3)).toEqual([
      '--perms',
      '444',
      '--ro-bind-data',
      String(FD.firstData),
      '/work/main.py',
    ]);
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '/usr/bin/python3', 'main.py']);
    expect(args[args.indexOf('--block-fd') + 1]).toBe(String(FD.block));
    expect(args[args.indexOf('--json-status-fd') + 1]).toBe(String(FD.json));
  });
});

describe('syntheticEtc', () => {
  it('describes one unprivileged sandbox user and a loopback-only hosts file', () => {
    const etc = syntheticEtc();
    expect(etc['/etc/passwd']).toMatch(/^sandbox:x:1000:1000:/m);
    expect(etc['/etc/hosts']).toBe('127.0.0.1 localhost scriptbox\n::1 localhost ip6-localhost\n');
    expect(Object.values(etc).join('')).not.toMatch(/\$[0-9a-z]\$/);
  });
});
