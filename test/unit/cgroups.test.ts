import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, parseMountInfo, parseProcCgroup } from '../../src/sandbox/cgroup-layout.js';
import { SandboxUnavailableError } from '../../src/errors.js';

const V1_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const V1_PROC = `9:name=systemd:/
8:pids:/
4:memory:/process_api/abc
2:cpu,cpuacct:/svc
0::/`;

const V2_MOUNTINFO = `30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`;
const V2_PROC = `0::/system.slice/scriptbox.service`;

describe('cgroup layout detection', () => {
  it('parses mountinfo and /proc/self/cgroup', () => {
    const mounts = parseMountInfo(V1_MOUNTINFO);
    expect(mounts).toHaveLength(5);
    expect(mounts[1]).toEqual({
      root: '/',
      mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
      fsType: 'cgroup',
      superOptions: ['rw', 'cpu', 'cpuacct'],
    });
    const own = parseProcCgroup(V1_PROC);
    expect(own.get('memory')).toBe('/process_api/abc');
    expect(own.get('cpuacct')).toBe('/svc');
    expect(own.get('')).toBe('/');
  });

  it('places v1 controllers below our own cgroup in each hierarchy', () => {
    const layout = detectCgroupLayout(V1_MOUNTINFO, V1_PROC);
    expect(layout.memory).toEqual({
      version: 1,
      dir: '/sys/fs/cgroup/memory/process_api/abc',
      mountPoint: '/sys/fs/cgroup/memory',
    });
    expect(layout.pids.dir).toBe('/sys/fs/cgroup/pids');
    expect(layout.cpu).toEqual({
      version: 1,
      dir: '/sys/fs/cgroup/cpu,cpuacct/svc',
      mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
    });
  });

  it('strips a container mount root from v1 paths', () => {
    const mountInfo = V1_MOUNTINFO.replace(
      '0:32 / /sys/fs/cgroup/memory',
      '0:32 /process_api /sys/fs/cgroup/memory',
    );
    expect(detectCgroupLayout(mountInfo, V1_PROC).memory.dir).toBe('/sys/fs/cgroup/memory/abc');
  });

  it('fails closed with a fix when the memory controller is missing', () => {
    const noMemory = V1_MOUNTINFO.split('\n')
      .filter((line) => !line.includes('memory'))
      .join('\n');
    expect(() => detectCgroupLayout(noMemory, V1_PROC)).toThrow(SandboxUnavailableError);
    expect(() => detectCgroupLayout(noMemory, V1_PROC)).toThrow(/memory.*Delegate=yes/s);
  });

  it('on pure v2 without readable controllers, refuses rather than running unconfined', () => {
    // cgroup.controllers of a path that does not exist here reads as empty: memory and pids are "missing".
    const mountInfo = V2_MOUNTINFO.replace('/sys/fs/cgroup ', '/nonexistent/cgroup ');
    expect(() => detectCgroupLayout(mountInfo, V2_PROC)).toThrow(/memory, pids/);
  });
});
