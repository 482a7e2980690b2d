/**
 * Attack class: kernel attack surface and ptrace-class calls. The script makes the system calls the
 * seccomp table (src/sandbox/seccomp-table.ts) refuses, through python ctypes `syscall()`, and checks the
 * exact errno: EPERM (ENOSYS for clone3). Foreign ABIs (x32, int 0x80) must kill the process with SIGSYS.
 * Controls: each probe prints a marker after its calls and makes an allowed call (getpid through the same
 * `syscall()`) that must return the pid; the foreign-ABI stubs run on the host first, where the kernel
 * does execute them; real workloads (threads, processes, sockets, plots) must still run.
 * Most arguments are chosen so the kernel itself would answer differently (EFAULT, EBADF, EINVAL, ENOSPC,
 * ENOTTY, ENOSYS or success, measured with the same bwrap flags but no filter), so EPERM is the filter's.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import { syscallNumber } from '../../src/sandbox/seccomp.js';
import { hostTempDir, LANGS, newEngine, run, type Lang } from './support.js';

const EPERM = 1;
const ENOSYS = 38;

let engine: Engine;
const cleanup: string[] = [];

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
});

/** One raw system call: python expressions for its arguments (`PID` is the caller's pid). */
interface Call {
  label: string;
  syscall: string;
  args: Array<number | string>;
}

const c = (label: string, syscall: string, ...args: Array<number | string>): Call => ({
  label,
  syscall,
  args,
});

const PRELUDE = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
PID = os.getpid()
BUF = ctypes.create_string_buffer(b"x", 64)
def sc(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return r, ctypes.get_errno()
def call(label, nr, *args):
    r, e = sc(nr, *args)
    if r == 0 and label.startswith("clone"):
        os._exit(0)  # a child the filter should not have let exist
    print("CALL", label, r, e, flush=True)
r, e = sc(${syscallNumber('getpid')})
print("CONTROL getpid", "ok" if r == PID else "bad %d %d" % (r, e), flush=True)
`;

/** Runs the calls in one python script; returns label -> [return value, errno], checking the controls. */
async function probe(calls: Call[], extra = ''): Promise<{ results: Map<string, number[]>; stdout: string }> {
  const lines = calls.map(
    (call) => `call(${JSON.stringify(call.label)}, ${syscallNumber(call.syscall)}, ${call.args.join(', ')})`,
  );
  const result = await run(engine, {
    language: 'python',
    source: `${PRELUDE}\n${lines.join('\n')}\n${extra}\nprint("CALLS-DONE")\n`,
  });
  expect(result.stdout, result.stderr).toContain('CONTROL getpid ok');
  expect(result.stdout, result.stderr).toContain('CALLS-DONE');
  const results = new Map<string, number[]>();
  for (const match of result.stdout.matchAll(/^CALL (\S+) (-?\d+) (\d+)$/gm))
    results.set(match[1] ?? '', [Number(match[2]), Number(match[3])]);
  return { results, stdout: result.stdout };
}

async function expectRefused(calls: Call[], errno = EPERM): Promise<void> {
  const { results } = await probe(calls);
  for (const call of calls) expect(results.get(call.label), call.label).toEqual([-1, errno]);
}

describe('seccomp (python)', () => {
  it('ptrace-class calls fail with EPERM: ptrace, process_vm_readv/writev, pidfd_getfd, kcmp, process_madvise', async () => {
    await expectRefused([
      c('ptrace', 'ptrace', 0xffff, 'PID', 0, 0), // kernel: ESRCH
      c('process_vm_readv', 'process_vm_readv', 'PID', 0, 0, 0, 0, 0), // kernel: 0
      c('process_vm_writev', 'process_vm_writev', 'PID', 0, 0, 0, 0, 0), // kernel: 0
      c('pidfd_getfd', 'pidfd_getfd', -1, 0, 0), // kernel: EBADF
      c('kcmp', 'kcmp', 'PID', 'PID', 0, 0, 0), // kernel: 0
      c('process_madvise', 'process_madvise', -1, 0, 0, 0, 0), // kernel: EBADF
    ]);
  });

  it('kernel attack surface fails with EPERM: io_uring, userfaultfd, bpf, perf_event_open', async () => {
    await expectRefused([
      c('io_uring_setup', 'io_uring_setup', 1, 0), // kernel: EFAULT
      c('io_uring_enter', 'io_uring_enter', -1, 0, 0, 0, 0, 0), // kernel: EBADF
      c('io_uring_register', 'io_uring_register', -1, 0, 0, 0), // kernel: EINVAL
      c('userfaultfd', 'userfaultfd', 1 | 0o2000000), // UFFD_USER_MODE_ONLY | O_CLOEXEC; kernel: an fd
      c('bpf', 'bpf', 999, 0, 0), // kernel: EINVAL
      c('perf_event_open', 'perf_event_open', 0, 0, -1, -1, 0), // kernel: EFAULT
    ]);
  });

  it('keyrings fail with EPERM: add_key, keyctl, request_key', async () => {
    await expectRefused([
      c('add_key', 'add_key', 0, 0, 0, 0, 0), // kernel: EFAULT
      c('keyctl', 'keyctl', 9999, 0, 0, 0, 0), // kernel: EOPNOTSUPP
      c('request_key', 'request_key', 0, 0, 0, 0), // kernel: EFAULT
    ]);
  });

  it('module loading and kexec fail with EPERM', async () => {
    // This kernel has no module support (ENOSYS without the filter), so EPERM is the filter's answer.
    await expectRefused([
      c('init_module', 'init_module', 0, 0, 0),
      c('finit_module', 'finit_module', -1, 0, 0),
      c('delete_module', 'delete_module', 0, 0),
      c('kexec_load', 'kexec_load', 0, 0, 0, 0),
      c('kexec_file_load', 'kexec_file_load', -1, -1, 0, 0, 0),
    ]);
  });

  it('the mount API fails with EPERM: mount, umount2, open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr, pivot_root, chroot', async () => {
    await expectRefused([
      c('mount', 'mount', 0, 0, 0, 0, 0), // kernel: EFAULT
      c('umount2', 'umount2', 0, 0), // kernel: EFAULT
      c('open_tree', 'open_tree', -1, 0, 0), // kernel: EFAULT
      c('open_tree_attr', 'open_tree_attr', -1, 0, 0, 0, 0), // kernel: EFAULT
      c('move_mount', 'move_mount', -1, 0, -1, 0, 0),
      c('fsopen', 'fsopen', 0, 0),
      c('fsconfig', 'fsconfig', -1, 0, 0, 0, 0), // kernel: EINVAL
      c('fsmount', 'fsmount', -1, 0, 0),
      c('fspick', 'fspick', -1, 0, 0),
      c('mount_setattr', 'mount_setattr', -1, 0, 0, 0, 0), // kernel: EINVAL
      c('pivot_root', 'pivot_root', 0, 0),
      c('chroot', 'chroot', 0), // kernel: EFAULT
    ]);
  });

  it('new namespaces: unshare and clone with a namespace flag fail with EPERM, clone3 with ENOSYS; fork and threads still work', async () => {
    const SIGCHLD = 17;
    const calls = [
      c('unshare_user', 'unshare', 0x10000000), // kernel: ENOSPC (bwrap --disable-userns)
      c('unshare_mount', 'unshare', 0x00020000),
      c('unshare_pid', 'unshare', 0x20000000),
      c('unshare_net', 'unshare', 0x40000000),
      c('clone_newuser', 'clone', 0x10000000 | SIGCHLD, 0, 0, 0, 0), // kernel: ENOSPC
      c('clone_newnet', 'clone', 0x40000000 | SIGCHLD, 0, 0, 0, 0),
      c('clone_newpid', 'clone', 0x20000000 | SIGCHLD, 0, 0, 0, 0),
      c('setns', 'setns', -1, 0), // kernel: EBADF
    ];
    const { results, stdout } = await probe(
      [...calls, c('clone3', 'clone3', 0, 0)], // kernel: EINVAL
      `
import threading
box = []
t = threading.Thread(target=lambda: box.append(threading.get_native_id()))
t.start(); t.join()
print("THREAD", "ok" if box and box[0] != PID else "bad")
pid = os.fork()
if pid == 0:
    os._exit(7)
print("FORK", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
r, e = sc(${syscallNumber('clone')}, ${SIGCHLD}, 0, 0, 0, 0)
if r == 0:
    os._exit(5)
print("RAWCLONE", os.waitstatus_to_exitcode(os.waitpid(r, 0)[1]) if r > 0 else "failed %d" % e)
`,
    );
    for (const call of calls) expect(results.get(call.label), call.label).toEqual([-1, EPERM]);
    expect(results.get('clone3')).toEqual([-1, ENOSYS]);
    expect(stdout).toContain('THREAD ok');
    expect(stdout).toContain('FORK 7');
    expect(stdout).toContain('RAWCLONE 5');
  });

  it('host-wide state fails with EPERM: file handles, accounting, swap, reboot, syslog, I/O ports, clocks, quotas, personality', async () => {
    await expectRefused([
      c('open_by_handle_at', 'open_by_handle_at', -1, 0, 0), // kernel: EFAULT
      c('name_to_handle_at', 'name_to_handle_at', -1, 0, 0, 0, 0), // kernel: EFAULT
      c('acct', 'acct', 0),
      c('swapon', 'swapon', 0, 0),
      c('reboot', 'reboot', 0, 0, 0, 0),
      c('syslog', 'syslog', 3, 0, 0),
      ...(process.arch === 'x64' ? [c('iopl', 'iopl', 3), c('ioperm', 'ioperm', 0, 1, 1)] : []),
      c('settimeofday', 'settimeofday', 0, 0),
      c('clock_settime', 'clock_settime', 0, 0), // kernel: EFAULT
      c('adjtimex', 'adjtimex', 0), // kernel: EFAULT
      c('quotactl', 'quotactl', 0, 0, 0, 0), // kernel: ENODEV
      c('personality_no_aslr', 'personality', 0x0040000), // kernel: success
      c('fanotify_init', 'fanotify_init', 0, 0),
      c('vhangup', 'vhangup'),
    ]);
    const { results } = await probe([c('personality_query', 'personality', 0xffffffff)]);
    expect(results.get('personality_query')?.[0]).toBe(0);
  });

  it('socket families: AF_VSOCK, AF_NETLINK, AF_PACKET, AF_ALG fail with EPERM; AF_UNIX, AF_INET, AF_INET6 still work', async () => {
    const calls = [
      c('socket_vsock', 'socket', 40, 1, 0), // kernel: an fd (this VM has vsock)
      c('socket_netlink', 'socket', 16, 3, 0), // kernel: an fd
      c('socket_packet', 'socket', 17, 3, 0),
      c('socket_alg', 'socket', 38, 5, 0), // kernel: EAFNOSUPPORT
      c('socketpair_vsock', 'socketpair', 40, 1, 0, 'ctypes.addressof(BUF)'),
      c('socketpair_netlink', 'socketpair', 16, 3, 0, 'ctypes.addressof(BUF)'), // kernel: EOPNOTSUPP
    ];
    const { results, stdout } = await probe(
      calls,
      `
import socket
a, b = socket.socketpair(socket.AF_UNIX)
a.send(b"unix")
print("UNIX", b.recv(4).decode())
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    try:
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.bind((host, 0))
        srv.listen()
        cli = socket.create_connection(srv.getsockname()[:2])
        conn, _ = srv.accept()
        cli.send(b"hello")
        print("TCP", family.name, conn.recv(5).decode())
    except OSError as err:
        print("TCP", family.name, "failed", err)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
print("INET6-SOCKET ok")
`,
    );
    for (const call of calls) expect(results.get(call.label), call.label).toEqual([-1, EPERM]);
    expect(stdout).toContain('UNIX unix');
    expect(stdout).toContain('TCP AF_INET hello');
    expect(stdout).toContain('INET6-SOCKET ok');
    expect(stdout).toMatch(/TCP AF_INET6 (hello|failed .*Cannot assign requested address)/);
  });

  it('TIOCSTI and TIOCLINUX fail with EPERM; other ioctls still work', async () => {
    const calls = [
      c('tiocsti_stdin', 'ioctl', 0, 0x5412, 'ctypes.addressof(BUF)'), // kernel: ENOTTY (a pipe)
      c('tiocsti_high_bits', 'ioctl', 0, '(1 << 32) | 0x5412', 'ctypes.addressof(BUF)'),
      c('tioclinux', 'ioctl', 1, 0x541c, 'ctypes.addressof(BUF)'),
    ];
    const { results } = await probe([
      ...calls,
      c('fionread', 'ioctl', 'os.pipe()[0]', 0x541b, 'ctypes.addressof(BUF)'), // allowed: 0
      c('tcgets', 'ioctl', 0, 0x5401, 'ctypes.addressof(BUF)'), // allowed: ENOTTY on a pipe
    ]);
    for (const call of calls) expect(results.get(call.label), call.label).toEqual([-1, EPERM]);
    expect(results.get('fionread')).toEqual([0, 0]);
    expect(results.get('tcgets')).toEqual([-1, 25]);
  });

  it.runIf(process.arch === 'x64')(
    'foreign ABIs kill the process with SIGSYS: an x32 call and int 0x80; the native stub returns the pid',
    async () => {
      // mov eax, N; syscall (or int 0x80); ret — called through ctypes from an executable page.
      const stubs = {
        native: 'b827000000' + '0f05' + 'c3', // getpid (39)
        x32: 'b827000040' + '0f05' + 'c3', // getpid | 0x40000000
        ia32: 'b814000000' + 'cd80' + 'c3', // getpid (20) through int 0x80
      };
      const runner = `
import ctypes, mmap, subprocess, sys
STUB = r'''
import ctypes, mmap, os, sys
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(bytes.fromhex(sys.argv[1]))
f = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
print("STUB-RAN", flush=True)
r = f()
print("RETURNED", "pid" if r == os.getpid() else r, flush=True)
'''
for name, code in ${JSON.stringify(Object.entries(stubs))}:
    p = subprocess.run([sys.executable, "-c", STUB, code], capture_output=True, text=True)
    print("STUB", name, p.returncode, " ".join(p.stdout.split()), flush=True)
print("STUBS-DONE")
`;
      // Control on the host, without the filter: the kernel runs int 0x80 (ia32 emulation is on) and
      // answers the x32 call with -ENOSYS (no x32 ABI) rather than killing anything.
      const host = spawnSync('/usr/bin/python3', ['-c', runner], { encoding: 'utf8', env: {} });
      expect(host.stdout, host.stderr).toContain('STUBS-DONE');
      expect(host.stdout).toContain('STUB native 0 STUB-RAN RETURNED pid');
      expect(host.stdout).toContain(`STUB x32 0 STUB-RAN RETURNED -${ENOSYS}`);
      expect(host.stdout).toContain('STUB ia32 0 STUB-RAN RETURNED pid');
      const result = await run(engine, { language: 'python', source: runner });
      expect(result.stdout, result.stderr).toContain('STUBS-DONE');
      expect(result.stdout).toContain('STUB native 0 STUB-RAN RETURNED pid');
      expect(result.stdout).toContain('STUB x32 -31 STUB-RAN');
      expect(result.stdout).toContain('STUB ia32 -31 STUB-RAN');
      expect(result.stdout).not.toMatch(/STUB (x32|ia32) .*RETURNED/);
    },
  );
});

const FILTER_STATUS: Record<Lang, string> = {
  python: `
import subprocess
print(open("/proc/self/status").read())
print(subprocess.run(["grep", "^Seccomp", "/proc/self/status"], capture_output=True, text=True).stdout)
print("STATUS-DONE")
`,
  javascript: `
const fs = require('fs');
const { execFileSync } = require('child_process');
console.log(fs.readFileSync('/proc/self/status', 'utf8'));
console.log(execFileSync('grep', ['^Seccomp', '/proc/self/status'], { encoding: 'utf8' }));
console.log('STATUS-DONE');
`,
  bash: `
grep ^Seccomp /proc/$$/status
grep ^Seccomp /proc/self/status | cat
echo STATUS-DONE
`,
};

/** What must keep working under the filter, per language (threads, processes, sockets, files). */
const WORKLOAD: Record<Lang, string> = {
  python: `
import os
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from threadpoolctl import threadpool_info, threadpool_limits
rng = np.random.default_rng(0)
with threadpool_limits(limits=2):
    a = rng.random((800, 800))
    print("MATMUL", round(float((a @ a).trace()), 3) > 0)
print("BLAS-THREADS", max([i["num_threads"] for i in threadpool_info()] or [0]))
df = pd.DataFrame(rng.random((400, 5)), columns=list("abcde"))
df["label"] = (df.a + df.b > 1).astype(int)
clf = RandomForestClassifier(n_estimators=30, n_jobs=2, random_state=0).fit(df[list("abcde")], df.label)
print("FOREST", clf.score(df[list("abcde")], df.label) > 0.9)
print("TASKS", len(os.listdir("/proc/self/task")))
fig, ax = plt.subplots()
df.plot.scatter(x="a", y="b", c="label", ax=ax)
fig.savefig("out/plot.png")
print("WORKLOAD-DONE")
`,
  javascript: `
const fs = require('fs');
const http = require('http');
const { spawnSync, spawn } = require('child_process');
const { Worker } = require('worker_threads');
fs.writeFileSync('out/js.txt', 'written');
console.log('FS', fs.readFileSync('out/js.txt', 'utf8'));
console.log('SPAWN', spawnSync('sh', ['-c', 'echo child ran'], { encoding: 'utf8' }).stdout.trim());
const unshare = spawnSync('unshare', ['-U', 'true'], { encoding: 'utf8' });
console.log('UNSHARE', unshare.status, unshare.stderr.trim());
const worker = new Promise((resolve) => {
  new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true }).on('message', resolve);
});
const piped = new Promise((resolve) => {
  const child = spawn('cat');
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.on('close', () => resolve(out));
  child.stdin.end('through cat');
});
const server = http.createServer((req, res) => res.end('fetched'));
server.listen(0, '127.0.0.1', async () => {
  const body = await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
  console.log('FETCH', body);
  console.log('WORKER', await worker);
  console.log('PIPE', await piped);
  server.close();
  console.log('WORKLOAD-DONE');
});
`,
  bash: `
echo "PIPELINE $(seq 1 1000 | sort -rn | head -3 | tr '\\n' ' ')"
sleep 0.1 & wait $! && echo "BACKGROUND ok"
echo "SUBSHELL $( (cd /tmp && pwd) )"
echo "PROCSUB $(cat <(echo substituted))"
echo written > out/sh.txt && echo "FILE $(cat out/sh.txt)"
out=$(unshare -U true 2>&1); status=$?; echo "UNSHARE $out status=$status"
echo WORKLOAD-DONE
`,
};

describe.each(LANGS)('seccomp (%s)', (lang) => {
  it('every process of the script runs under exactly one seccomp filter (Seccomp: 2, Seccomp_filters: 1)', async () => {
    const result = await run(engine, { language: lang, source: FILTER_STATUS[lang] });
    expect(result.stdout, result.stderr).toContain('STATUS-DONE');
    // The script itself and a child process it starts.
    expect(result.stdout.match(/^Seccomp:\t2$/gm)).toHaveLength(2);
    expect(result.stdout.match(/^Seccomp_filters:\t1$/gm)).toHaveLength(2);
  });

  it('real workloads still run under the filter (threads, processes, sockets, files in out/)', async () => {
    const outDir = hostTempDir('scriptbox-seccomp-out-');
    cleanup.push(outDir);
    const result = await run(engine, {
      language: lang,
      source: WORKLOAD[lang],
      outDir,
      limits: { memoryMb: 1024, timeoutMs: 60_000, cpuMs: 60_000, maxProcesses: 64, diskMb: 64 },
    });
    expect(result.stdout, result.stderr).toContain('WORKLOAD-DONE');
    expect(result.ok).toBe(true);
    if (lang === 'python') {
      expect(result.stdout).toContain('MATMUL True');
      expect(result.stdout).toContain('FOREST True');
      // threads were created (glibc met clone3's ENOSYS and fell back to clone)
      expect(Number(/BLAS-THREADS (\d+)/.exec(result.stdout)?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(/TASKS (\d+)/.exec(result.stdout)?.[1])).toBeGreaterThan(1);
      expect(fs.readFileSync(`${outDir}/plot.png`).subarray(1, 4).toString()).toBe('PNG');
    }
    if (lang === 'javascript') {
      for (const line of ['FS written', 'SPAWN child ran', 'FETCH fetched', 'WORKER 42', 'PIPE through cat'])
        expect(result.stdout).toContain(line);
      expect(result.stdout).toMatch(/UNSHARE 1 .*Operation not permitted/);
    }
    if (lang === 'bash') {
      for (const line of ['PIPELINE 1000 999 998', 'BACKGROUND ok', 'SUBSHELL /tmp', 'PROCSUB substituted'])
        expect(result.stdout).toContain(line);
      expect(result.stdout).toContain('FILE written');
      // Without the filter this would be ENOSPC ("No space left on device") from --disable-userns.
      expect(result.stdout).toMatch(/UNSHARE .*Operation not permitted.*status=1/);
    }
  });
});
