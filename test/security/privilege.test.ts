/**
 * Attack class: privilege. The script checks and tries to raise its privileges: uid/capabilities/no_new_privs,
 * new user namespaces (unshare -U), mount, setuid-root binaries, the terminal (TIOCSTI), the hostname and
 * kernel knobs (/proc/sysrq-trigger, core_pattern...).
 * Host-side assertions: on the host the sandbox's processes run as an unprivileged uid, the host's
 * hostname, core_pattern and mount table are unchanged; inside facts are asserted from the script's own report.
 */
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/index.js';
import {
  hostPidsWithMarker,
  LANGS,
  newEngine,
  run,
  SANDBOX_UIDS,
  sleep,
  token,
  type Lang,
} from './support.js';

const STATUS: Record<Lang, string> = {
  python: `
import os
print("GETUID", os.getuid(), os.geteuid(), os.getgid(), os.getegid())
print(open("/proc/self/status").read())
print("UIDMAP", open("/proc/self/uid_map").read().split())
print("GIDMAP", open("/proc/self/gid_map").read().split())
print("STATUS-DONE")
`,
  javascript: `
const fs = require('fs');
console.log('GETUID', process.getuid(), process.geteuid(), process.getgid(), process.getegid());
console.log(fs.readFileSync('/proc/self/status', 'utf8'));
console.log('UIDMAP', JSON.stringify(fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\\s+/)));
console.log('GIDMAP', JSON.stringify(fs.readFileSync('/proc/self/gid_map', 'utf8').trim().split(/\\s+/)));
console.log('STATUS-DONE');
`,
  bash: `
echo "GETUID $(id -u) $(id -u) $(id -g) $(id -g)"
cat /proc/self/status
echo "UIDMAP $(cat /proc/self/uid_map)"
echo "GIDMAP $(cat /proc/self/gid_map)"
echo STATUS-DONE
`,
};

/** Tries new user (and other) namespaces; prints NS-OK <what> on any success. */
const UNSHARE: Record<Lang, string> = {
  python: `
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
flags = {"user": 0x10000000, "mount": 0x00020000, "net": 0x40000000, "pid": 0x20000000, "uts": 0x04000000}
for name, flag in flags.items():
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.unshare(flag) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    print("NS-OK" if status == 0 else "NS-FAILED", name)
for argv in (["unshare", "-U", "true"], ["unshare", "-r", "true"], ["unshare", "-Urm", "true"]):
    r = subprocess.run(argv, capture_output=True)
    print("NS-OK" if r.returncode == 0 else "NS-FAILED", " ".join(argv))
print("NS-DONE")
`,
  javascript: `
const { spawnSync } = require('child_process');
for (const argv of [['-U', 'true'], ['-r', 'true'], ['-Urm', 'true'], ['-m', 'true'], ['-n', 'true']]) {
  const r = spawnSync('unshare', argv);
  console.log(r.status === 0 ? 'NS-OK' : 'NS-FAILED', 'unshare', argv.join(' '));
}
console.log('NS-DONE');
`,
  bash: `
for args in "-U true" "-r true" "-Urm true" "-m true" "-n true" "-p -f true"; do
  if unshare $args 2>/dev/null; then echo "NS-OK unshare $args"; else echo "NS-FAILED unshare $args"; fi
done
echo NS-DONE
`,
};

/** stdin: a marker; tries to mount things at paths containing it. Prints MOUNT-OK on any success. */
const MOUNTS: Record<Lang, string> = {
  python: `
import ctypes, os, subprocess, sys
marker = sys.stdin.read().strip()
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs("/tmp/" + marker, exist_ok=True)
tries = [(b"none", b"/tmp/" + marker.encode(), b"tmpfs", 0), (b"/", b"/tmp/" + marker.encode(), None, 4096),
         (b"none", b"/", None, 32), (b"proc", b"/tmp/" + marker.encode(), b"proc", 0)]
for src, dst, fstype, flags in tries:
    rc = libc.mount(src, dst, fstype, flags, None)
    print("MOUNT-OK" if rc == 0 else "MOUNT-FAILED", src, dst)
for argv in (["mount", "-t", "tmpfs", "none", "/tmp/" + marker], ["mount", "--bind", "/", "/tmp/" + marker],
             ["mount", "-o", "remount,rw", "/"], ["mount", "-o", "remount,rw", "/usr"]):
    r = subprocess.run(argv, capture_output=True)
    print("MOUNT-OK" if r.returncode == 0 else "MOUNT-FAILED", " ".join(argv))
print("MOUNTINFO-HAS-MARKER" if marker in open("/proc/self/mountinfo").read() else "MOUNTINFO-CLEAN")
try:
    open("/usr/" + marker, "w")
    print("MOUNT-OK /usr writable")
except OSError:
    pass
print("MOUNT-DONE")
`,
  javascript: `
const { spawnSync } = require('child_process');
const fs = require('fs');
const marker = fs.readFileSync(0, 'utf8').trim();
fs.mkdirSync('/tmp/' + marker, { recursive: true });
for (const argv of [['-t', 'tmpfs', 'none', '/tmp/' + marker], ['--bind', '/', '/tmp/' + marker], ['-o', 'remount,rw', '/'], ['-o', 'remount,rw', '/usr']]) {
  const r = spawnSync('mount', argv);
  console.log(r.status === 0 ? 'MOUNT-OK' : 'MOUNT-FAILED', argv.join(' '));
}
console.log(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(marker) ? 'MOUNTINFO-HAS-MARKER' : 'MOUNTINFO-CLEAN');
try { fs.writeFileSync('/usr/' + marker, 'x'); console.log('MOUNT-OK /usr writable'); } catch {}
console.log('MOUNT-DONE');
`,
  bash: `
read -r marker
mkdir -p "/tmp/$marker"
mount -t tmpfs none "/tmp/$marker" 2>/dev/null && echo "MOUNT-OK tmpfs"
mount --bind / "/tmp/$marker" 2>/dev/null && echo "MOUNT-OK bind"
mount -o remount,rw / 2>/dev/null && echo "MOUNT-OK remount /"
mount -o remount,rw /usr 2>/dev/null && echo "MOUNT-OK remount /usr"
grep -q "$marker" /proc/self/mountinfo && echo MOUNTINFO-HAS-MARKER || echo MOUNTINFO-CLEAN
( : > "/usr/$marker" ) 2>/dev/null && echo "MOUNT-OK /usr writable"
echo MOUNT-DONE
`,
};

/** Opens kernel knobs for writing (never writes) and tries sethostname; prints KNOB-OPEN <path> on success. */
const KNOBS: Record<Lang, string> = {
  python: `
import os, socket, sys
name = sys.stdin.read().strip()
for p in ("/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
          "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches", "/proc/sys/kernel/randomize_va_space",
          "/sys/kernel/uevent_helper", "/dev/mem", "/dev/kmsg"):
    try:
        fd = os.open(p, os.O_WRONLY)
        os.close(fd)
        print("KNOB-OPEN", p)
    except OSError:
        pass
for p in ("/proc/kcore", "/proc/kmsg", "/dev/mem", "/dev/sda", "/dev/vda"):
    try:
        with open(p, "rb") as f:
            f.read(1)
        print("KNOB-READ", p)
    except OSError:
        pass
try:
    socket.sethostname(name)
    print("HOSTNAME-SET")
except OSError:
    pass
print("HOSTNAME", socket.gethostname())
print("KNOBS-DONE")
`,
  javascript: `
const fs = require('fs');
const name = fs.readFileSync(0, 'utf8').trim();
for (const p of ['/proc/sysrq-trigger', '/proc/sys/kernel/core_pattern', '/proc/sys/kernel/modprobe', '/proc/sys/kernel/hostname', '/proc/sys/vm/drop_caches', '/dev/mem', '/dev/kmsg']) {
  try { fs.closeSync(fs.openSync(p, 'r+')); console.log('KNOB-OPEN', p); } catch {}
}
const r = require('child_process').spawnSync('hostname', [name]);
if (r.status === 0) console.log('HOSTNAME-SET');
console.log('HOSTNAME', require('os').hostname());
console.log('KNOBS-DONE');
`,
  bash: `
read -r name
for p in /proc/sysrq-trigger /proc/sys/kernel/core_pattern /proc/sys/kernel/modprobe /proc/sys/kernel/hostname /proc/sys/vm/drop_caches /dev/mem /dev/kmsg; do
  [[ -e $p ]] && ( exec 3>>"$p" ) 2>/dev/null && echo "KNOB-OPEN $p"
done
hostname "$name" 2>/dev/null && echo HOSTNAME-SET
echo "HOSTNAME $(hostname)"
echo KNOBS-DONE
`,
};

let engine: Engine;

beforeAll(async () => {
  engine = await newEngine();
});

afterAll(async () => {
  await engine?.close();
});

describe.each(LANGS)('privilege (%s)', (lang) => {
  it('runs as uid 1000 mapped to a non-root host uid, with no capabilities and no_new_privs', async () => {
    const result = await run(engine, { language: lang, source: STATUS[lang] });
    const out = result.stdout;
    expect(out, result.stderr).toContain('STATUS-DONE');
    expect(out).toMatch(/^GETUID 1000 1000 1000 1000$/m);
    expect(out).toMatch(/^Uid:\t1000\t1000\t1000\t1000$/m);
    expect(out).toMatch(/^Gid:\t1000\t1000\t1000\t1000$/m);
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
      expect(out).toMatch(new RegExp(`^${cap}:\\t0000000000000000$`, 'm'));
    }
    expect(out).toMatch(/^NoNewPrivs:\t1$/m);
    // Exactly one uid and one gid are mapped (bwrap nests user namespaces, so the "outside" column is
    // relative to its intermediate namespace; the host uid is checked from the host in another test).
    for (const map of ['UIDMAP', 'GIDMAP']) {
      const fields = (new RegExp(`^${map} (.*)$`, 'm').exec(out)?.[1] ?? '').match(/\d+/g) ?? [];
      expect(fields, map).toHaveLength(3);
      expect(fields[0], map).toBe('1000');
      expect(fields[2], map).toBe('1');
    }
  });

  it('cannot create user (or any other) namespaces', async () => {
    const result = await run(engine, { language: lang, source: UNSHARE[lang] });
    expect(result.stdout, result.stderr).toContain('NS-DONE');
    expect(result.stdout).toContain('NS-FAILED');
    expect(result.stdout).not.toContain('NS-OK');
  });

  it('cannot mount or remount anything read-write; the host mount table is untouched', async () => {
    const marker = token('mnt');
    const result = await run(engine, { language: lang, source: MOUNTS[lang], stdin: `${marker}\n` });
    expect(result.stdout, result.stderr).toContain('MOUNT-DONE');
    expect(result.stdout).not.toContain('MOUNT-OK');
    expect(result.stdout).toContain('MOUNTINFO-CLEAN');
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(marker);
    expect(fs.readFileSync('/proc/1/mountinfo', 'utf8')).not.toContain(marker);
    expect(fs.existsSync(`/usr/${marker}`)).toBe(false);
  });

  it('cannot open kernel knobs for writing, read kernel memory, or change the hostname', async () => {
    const name = token('pwned-');
    const hostname = os.hostname();
    const corePattern = fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
    const result = await run(engine, { language: lang, source: KNOBS[lang], stdin: `${name}\n` });
    expect(result.stdout, result.stderr).toContain('KNOBS-DONE');
    expect(result.stdout).not.toMatch(/KNOB-OPEN|KNOB-READ|HOSTNAME-SET/);
    expect(result.stdout).toContain('HOSTNAME scriptbox');
    expect(os.hostname()).toBe(hostname);
    expect(fs.readFileSync('/proc/sys/kernel/core_pattern', 'utf8')).toBe(corePattern);
  });
});

describe('privilege (python only)', () => {
  it('on the host, the sandbox processes run as an unprivileged uid with no capabilities', async () => {
    const marker = token('PRIV-');
    const running = run(engine, {
      language: 'python',
      source: `
import os, sys
os.execv("/usr/bin/python3", ["python3", "-c", "import time; time.sleep(1.5)", sys.stdin.read().strip()])
`,
      stdin: `${marker}\n`,
    });
    let status = '';
    for (let i = 0; i < 100 && status === ''; i++) {
      const [pid] = hostPidsWithMarker(marker);
      if (pid !== undefined) status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      else await sleep(10);
    }
    await running;
    expect(status).not.toBe('');
    const uids = /^Uid:\t(.*)$/m.exec(status)?.[1]?.split('\t') ?? [];
    expect(uids).toHaveLength(4);
    for (const uid of uids) expect(uid).not.toBe('0');
    // As root, a uid of the sandbox range (SCRIPTBOX_SANDBOX_UIDS), which no account has.
    if (SANDBOX_UIDS) {
      for (const uid of uids) expect(Number(uid)).toBeGreaterThanOrEqual(SANDBOX_UIDS.first);
      for (const uid of uids) expect(Number(uid)).toBeLessThanOrEqual(SANDBOX_UIDS.last);
    }
    expect(status).toMatch(/^CapEff:\t0000000000000000$/m);
  });

  it('setuid-root binaries do not elevate (euid stays 1000, AT_SECURE is 0)', async () => {
    // A setuid-root `mount --help` is kept blocked on a full pipe so its credentials can be inspected.
    const result = await run(engine, {
      language: 'python',
      source: `
import os, struct, subprocess, time
r, w = os.pipe()
os.set_blocking(w, False)
for size in (4096, 1):
    try:
        while True:
            os.write(w, b"x" * size)
    except BlockingIOError:
        pass
os.set_blocking(w, True)
for binary in ("/usr/bin/mount", "/usr/bin/su", "/usr/bin/passwd"):
    if not os.path.exists(binary) or not os.stat(binary).st_mode & 0o4000:
        continue
    p = subprocess.Popen([binary, "--help"], stdout=w, stderr=w, stdin=subprocess.DEVNULL)
    time.sleep(0.3)
    try:
        comm = open("/proc/%d/comm" % p.pid).read().strip()
        uid = open("/proc/%d/status" % p.pid).read().split("Uid:")[1].split("\\n")[0].split()
        auxv = dict(struct.iter_unpack("QQ", open("/proc/%d/auxv" % p.pid, "rb").read()))
        print("SETUID", binary, comm, "running" if p.poll() is None else "exited", "euid=" + uid[1], "AT_SECURE=%d" % auxv.get(23, -1))
    except Exception as e:
        print("SETUID", binary, "inspect-failed", type(e).__name__)
    p.kill()
    p.wait()
print("SETUID-DONE")
`,
    });
    expect(result.stdout, result.stderr).toContain('SETUID-DONE');
    const lines = result.stdout.split('\n').filter((l) => l.startsWith('SETUID /'));
    // Control: at least mount is setuid root on this system and was caught while running.
    expect(lines.some((l) => l.startsWith('SETUID /usr/bin/mount mount running'))).toBe(true);
    for (const line of lines) {
      expect(line).toMatch(/euid=1000 AT_SECURE=0$/);
    }
  });

  it('has no controlling terminal: /dev/tty cannot be opened and TIOCSTI fails', async () => {
    const result = await run(engine, {
      language: 'python',
      source: `
import fcntl, os, termios
try:
    os.open("/dev/tty", os.O_RDWR)
    print("TTY-OPENED")
except OSError:
    print("TTY-FAILED")
for fd in (0, 1, 2):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"x")
        print("TIOCSTI-OK", fd)
    except OSError:
        print("TIOCSTI-FAILED", fd)
print("SID", os.getsid(0), "PID", os.getpid())
`,
    });
    expect(result.stdout).toContain('TTY-FAILED');
    expect(result.stdout).not.toMatch(/TTY-OPENED|TIOCSTI-OK/);
    expect(result.stdout.match(/TIOCSTI-FAILED/g)).toHaveLength(3);
  });
});
