# scriptbox session supervisor: the resident, trusted process of a session sandbox, started as
#   python3 -I -S session.py python [module-to-preload ...]    (runs Python in-process, forked per run)
#   python3 -I -S session.py exec <interpreter> [args ...]     (execs `<interpreter> [args] <file>` per run)
# No script code ever runs in this process. It is not dumpable (nothing can read its memory or fds) and
# holds CAP_SYS_ADMIN (and CAP_SYS_CHROOT) inside the sandbox's user namespace only, under a seccomp
# profile of its own that allows just what it needs beyond a run's.
# At start, before anything is preloaded, it makes the run namespace (RunNamespace): a pid namespace
# whose pid 1 is a placeholder init, with a mount namespace and a /proc of its own. Every run is forked
# into it (as an ordinary process, not as pid 1): a run sees only the processes of its own run, never
# this supervisor, and kill(-1) reaches nothing outside it.
#
# Protocol (the host's side is src/sandbox/session-protocol.ts): frames `<length>\n<json>` arrive on fd 6,
# events leave as JSON lines on fd 3; runs never hold either.
#   {"op": "run", "id", "file", "source" (base64), "stdin" (base64), "env" (names to values)}: empty
#       out/, write the script, compile it (Python; a syntax error -> {"event": "syntax"}), fork a child
#       into the run namespace, where it enters the namespace's mount namespace, drops every capability,
#       installs the run's seccomp filter, sets the run's environment variables and becomes the script.
#       When it ends, everything it left in the namespace is killed and gone; only then does a fresh
#       random token go to stdout and stderr and {"event": "exit", "id", "code", "signal", "token"} to
#       fd 3. The host knows the output is complete once both streams end with the token; the run, gone
#       by then, never knew it.
#   {"op": "put", "id", "name", "data" (base64), "append", "last"}: one chunk of an upload, written to a
#       temporary name and renamed into place with the last chunk; never through a link.
#   {"op": "kill"}: kill the running run and everything it started.
import base64
import ctypes
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the runner's dir out
import scriptbox_python  # noqa: E402  (shared with the other Python runner; it sets the real path)

STATUS_FD = 3
CONTROL_FD = 6
RUN_FILTER = "/.scriptbox/run.bpf"
MAX_FRAME = 16 << 20

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 0x40000
PR_SET_DUMPABLE, PR_SET_SECCOMP, PR_CAP_AMBIENT = 4, 22, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2
CLONE_SYSCALL = {"x86_64": 56, "aarch64": 220}

# PyDLL keeps the GIL across calls: clone must run with it held, as os.fork does.
libc = ctypes.PyDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def report(event):
    os.write(STATUS_FD, (json.dumps(event) + "\n").encode("utf-8"))


def check(result, what):
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def clone_into_new_pid_namespace():
    """fork(), but the child starts as pid 1 of a new pid namespace."""
    number = CLONE_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(0, "sessions are not supported on %s" % platform.machine())
    flags = signal.SIGCHLD | CLONE_NEWPID
    zero = ctypes.c_void_p(0)
    ctypes.pythonapi.PyOS_BeforeFork()
    pid = libc.syscall(ctypes.c_long(number), ctypes.c_ulong(flags), zero, zero, zero, zero)
    if pid == 0:
        ctypes.pythonapi.PyOS_AfterFork_Child()
        return 0
    err = ctypes.get_errno()
    ctypes.pythonapi.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(err, "cannot start the run: %s" % os.strerror(err))
    return pid


def drop_capabilities():
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")
    header = CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two zeroed data structs
    check(libc.capset(ctypes.byref(header), ctypes.byref((CapData * 2)())), "dropping capabilities")


def own_proc():
    """A mount namespace of our own with a /proc that shows only our pid namespace."""
    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mounting /proc")


def confine_run(mount_ns, run_filter):
    """In the run's child, before any script code: the mount namespace its init made (its own /proc),
    no capabilities, the run's filter."""
    work = os.getcwd()
    check(libc.setns(mount_ns, CLONE_NEWNS), "entering the run's mount namespace")
    os.chdir(work)
    check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    adj = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    os.write(adj, b"1000")  # under memory pressure the run goes, not the session
    os.close(adj)
    drop_capabilities()
    install_filter(run_filter)


def install_filter(run_filter):
    program = SockFprog(len(run_filter) // 8, run_filter)
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0),
          "installing the seccomp filter")


class RunNamespace:
    """The pid namespace every run of the session is forked into, made once at start (before anything
    is preloaded, so the clone is small). Its pid 1 is a placeholder init that made the namespace's
    mount namespace and /proc, handed both over, and then holds no fd and no capability, has the run's
    filter, is not dumpable, ignores every signal from inside, and only reaps orphans. Between runs it
    holds nothing else: whatever a run leaves is killed before the run is reported over."""

    def __init__(self, run_filter):
        # What the sandbox ran before us stays: its init, and the egress relay of a sandbox granted network
        # (egress_bridge.py, a process of its own started before this supervisor was exec'd).
        before = {int(p) for p in os.listdir("/proc") if p.isdigit()}
        mine, its = socket.socketpair()
        self.init_pid = clone_into_new_pid_namespace()
        if self.init_pid == 0:
            mine.close()
            placeholder_init(its, run_filter)
        its.close()
        _, fds, _, _ = socket.recv_fds(mine, 1, 2)
        mine.close()
        if len(fds) != 2:
            raise OSError(0, "the run namespace could not be made")
        self.pid_ns, self.mount_ns = fds
        self.init = os.pidfd_open(self.init_pid)
        self.known = before | {1, os.getpid(), self.init_pid}

    def enter(self):
        """From now on, every process we fork starts in the namespace."""
        check(libc.setns(self.pid_ns, CLONE_NEWPID), "entering the run namespace")

    def alive(self):
        return not select.select([self.init], [], [], 0)[0]

    def strays(self):
        """Processes of the namespace besides its init (everything in this sandbox but the sandbox's
        init, what ran before this supervisor, this supervisor and the namespace's init is in it)."""
        return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in self.known]

    def kill_all(self):
        for pid in self.strays():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def clear(self):
        """Kills everything of the namespace but its init and returns once it is gone (its init reaps
        the orphans; a run's first process is ours to reap). False if it did not go."""
        for _ in range(5000):
            self.kill_all()
            reap_children()
            if not self.strays():
                return True
            select.select([], [], [], 0.001)
        return False


def placeholder_init(channel, run_filter):
    """pid 1 of the run namespace (see RunNamespace)."""
    try:
        own_proc()
        namespaces = [os.open("/proc/self/ns/pid", os.O_RDONLY), os.open("/proc/self/ns/mnt", os.O_RDONLY)]
        socket.send_fds(channel, [b"r"], namespaces)
        for number in range(1, signal.NSIG):
            if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
                try:
                    signal.signal(number, signal.SIG_DFL)  # an init ignores these from inside
                except (OSError, ValueError):
                    pass
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        os.closerange(0, os.sysconf("SC_OPEN_MAX"))
        drop_capabilities()
        install_filter(run_filter)
        while True:
            reap_children()
            signal.sigwaitinfo({signal.SIGCHLD})
    finally:
        os._exit(0)


def reap_children():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


class Control:
    """Reads `<length>\n<json>` frames from the host."""

    def __init__(self):
        self.buffer = b""
        self.queued = []

    def _parse(self):
        while True:
            newline = self.buffer.find(b"\n")
            if newline < 0:
                if len(self.buffer) > 32:
                    raise ProtocolError("a frame length of more than 32 bytes")
                return
            length = self.buffer[:newline]
            if not length.isdigit() or int(length) > MAX_FRAME:
                raise ProtocolError("a bad frame length %r" % length[:32])
            size = int(length)
            if len(self.buffer) < newline + 1 + size:
                return
            body = self.buffer[newline + 1 : newline + 1 + size]
            self.buffer = self.buffer[newline + 1 + size :]
            try:
                frame = json.loads(body)
            except ValueError as err:
                report({"event": "error", "message": "a frame that is not JSON: %s" % err})
                continue
            if isinstance(frame, dict):
                self.queued.append(frame)
            else:
                report({"event": "error", "message": "a frame that is not an object"})

    def frames(self):
        while True:
            self._parse()
            if self.queued:
                yield self.queued.pop(0)
                continue
            chunk = os.read(CONTROL_FD, 1 << 20)
            if not chunk:  # the host closed the session
                return
            self.buffer += chunk

    def kill_requested(self):
        """Reads what is available without blocking; True when a kill frame (or the end) arrived."""
        while select.select([CONTROL_FD], [], [], 0)[0]:
            chunk = os.read(CONTROL_FD, 1 << 20)
            if not chunk:
                return True
            self.buffer += chunk
        self._parse()
        kills = [frame for frame in self.queued if frame.get("op") == "kill"]
        self.queued = [frame for frame in self.queued if frame.get("op") != "kill"]
        return bool(kills)


class ProtocolError(Exception):
    pass


def run_python(code, path):
    """In the run's child: become the script, in a fresh __main__."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin = open(0, "r", closefd=False)
    status = scriptbox_python.run_as_main(code, path)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)


def run_env(job):
    """A run's environment variables as bytes; the host allows only some names (script-env.ts), checked
    again here so a bad frame fails its run, never the supervisor."""
    env = job.get("env") or {}
    if not isinstance(env, dict):
        raise ValueError("the run's env is not an object")
    variables = {}
    for name, value in env.items():
        if not isinstance(value, str) or not ENV_NAME.fullmatch(name) or "\0" in value:
            raise ValueError("a bad environment variable %r" % name[:64])
        variables[name.encode("ascii")] = value.encode("utf-8")
    return variables


def fresh_out_dir():
    """An empty out/, whatever an earlier run left at that name (rmtree never follows links)."""
    if os.path.isdir("out") and not os.path.islink("out"):
        shutil.rmtree("out")
    elif os.path.lexists("out"):
        os.unlink("out")
    os.mkdir("out")


class Supervisor:
    def __init__(self, mode, command, run_filter, namespace):
        self.mode = mode
        self.command = command
        self.run_filter = run_filter
        self.namespace = namespace

    def serve_run(self, job, control):
        fresh_out_dir()
        path = job["file"]
        source = base64.b64decode(job.get("source") or "")
        env = run_env(job)
        # Earlier runs own the work dir: never write through whatever they left at this name.
        if os.path.lexists(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "wb") as handle:
            handle.write(source)
        code = None
        if self.mode == "python":
            try:
                code = compile(source, os.path.basename(path), "exec", dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
                if not isinstance(err, SyntaxError):
                    err = SyntaxError(str(err) or type(err).__name__)
                report({"event": "syntax", "id": job["id"], "line": err.lineno or 0,
                        "column": err.offset or 0, "message": "%s: %s" % (type(err).__name__, err.msg)})
                return
        try:
            status, error = self.run_in_namespace(code, path, env, job, control)
        finally:
            if not self.namespace.clear():
                raise ProtocolError("a run's processes could not be killed")
        if not self.namespace.alive():
            raise ProtocolError("the run namespace's init died")
        finish_run(job["id"], status, error)

    def run_in_namespace(self, code, path, env, job, control):
        """Forks the run into the namespace and waits for its first process; returns (status, error)."""
        stdin_read, stdin_write = os.pipe()
        setup_read, setup_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            self.become_run(code, path, env, stdin_read, setup_write)
        os.close(stdin_read)
        os.close(setup_write)
        problem = read_all(setup_read)
        if problem:
            os.close(stdin_write)
            return os.waitpid(pid, 0)[1], "cannot confine the run: " + problem.decode("utf-8", "replace")
        report({"event": "started", "id": job["id"]})
        stdin = base64.b64decode(job.get("stdin") or "")
        return wait_for(pid, self.namespace, control, stdin_write, stdin), None

    def become_run(self, code, path, env, stdin_read, setup_write):
        """In the child: confine, set the run's variables, then run the script. Never returns."""
        try:
            os.setsid()
            os.dup2(stdin_read, 0)
            confine_run(self.namespace.mount_ns, self.run_filter)
        except BaseException as err:
            try:
                os.write(setup_write, str(err).encode("utf-8", "replace") or b"unknown error")
            finally:
                os._exit(127)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # the setup pipe too: the host hears "started"
        os.environb.update(env)  # this child's alone: the next run starts from the supervisor's environment
        if self.mode == "python":
            run_python(code, path)
        try:
            argv = self.command + [path]
            os.execve(argv[0], argv, os.environ)
        except OSError as err:
            os.write(2, ("scriptbox: cannot start %s: %s\n" % (self.command[0], err.strerror)).encode())
        os._exit(127)

    def serve_put(self, job):
        name = job.get("name")
        try:
            problem = bad_name(name)
            if problem:
                raise ValueError(problem)
            parts = name.split("/")
            directory = "."
            for part in parts[:-1]:
                directory = os.path.join(directory, part)
                if not os.path.lexists(directory):
                    os.mkdir(directory)
                elif os.path.islink(directory) or not os.path.isdir(directory):
                    raise ValueError("%s exists and is not a directory" % directory[2:])
            temporary = os.path.join(directory, ".%s.upload-%s" % (parts[-1][:64], os.urandom(6).hex()))
            temporary = job.get("temporary") or temporary
            flags = os.O_WRONLY | os.O_NOFOLLOW | (os.O_APPEND if job.get("append") else os.O_CREAT | os.O_EXCL)
            fd = os.open(temporary, flags, 0o644)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(base64.b64decode(job.get("data") or ""))
                if job.get("last", True):
                    if os.path.isdir(name) and not os.path.islink(name):
                        raise IsADirectoryError(21, "a directory has that name")
                    os.rename(temporary, name)
            except BaseException:
                unlink_quietly(temporary)
                raise
            report({"event": "put", "id": job.get("id"), "ok": True, "temporary": temporary})
        except Exception as err:
            message = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            report({"event": "put", "id": job.get("id"), "ok": False, "error": message})


def bad_name(name):
    """Why an upload name is refused (the host checks first; this is the runner's own guard)."""
    if not isinstance(name, str) or name == "":
        return "the name is empty"
    if "\0" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "the name has control characters"
    if name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")):
        return "not a plain relative path"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    return None


def unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            os.close(fd)
            return b"".join(chunks)
        chunks.append(chunk)


def finish_run(run_id, status, error=None):
    """Ends both output streams with a fresh token and reports the exit. Nothing of the run is left by
    now: the run namespace holds only its init."""
    token = os.urandom(16).hex()
    for fd in (1, 2):
        os.write(fd, ("\n%s\n" % token).encode("ascii"))
    code = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    event = {"event": "exit", "id": run_id, "code": code if code >= 0 else None,
             "signal": signal.Signals(-code).name if code < 0 else None, "token": token}
    if error:
        event["error"] = error
    report(event)


def wait_for(pid, namespace, control, stdin_fd, stdin_data):
    """Waits for the run while feeding its stdin (no thread: the run may have used up every pid);
    a kill frame from the host kills its whole pid namespace at once."""
    pidfd = os.pidfd_open(pid)
    os.set_blocking(stdin_fd, False)
    pending = memoryview(stdin_data)
    try:
        while True:
            writers = [stdin_fd] if stdin_fd is not None else []
            readable, writable, _ = select.select([pidfd, CONTROL_FD], writers, [])
            if writable:
                try:
                    pending = pending[os.write(stdin_fd, pending[:65536]):]
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:  # the script closed its stdin
                    pending = pending[:0]
                if not pending:
                    os.close(stdin_fd)
                    stdin_fd = None
            if CONTROL_FD in readable and control.kill_requested():
                namespace.kill_all()  # the run and everything it started
            if pidfd in readable:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return status
    finally:
        os.close(pidfd)
        if stdin_fd is not None:
            os.close(stdin_fd)


def close_inherited_fds():
    """Closes every fd but 0-2, the status and the control pipe (the host seals its own leaks to /dev/null)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in (STATUS_FD, CONTROL_FD):
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own fd


def preload(modules):
    failed = []
    for module in modules:
        try:
            __import__(module)
        except Exception as err:  # reported, and the session still works without it
            failed.append("%s: %s" % (module, err))
    return failed


def main():
    check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    close_inherited_fds()
    mode, command = sys.argv[1], sys.argv[2:]
    with open(RUN_FILTER, "rb") as handle:
        run_filter = handle.read()
    namespace = RunNamespace(run_filter)
    failed = []
    if mode == "python":
        scriptbox_python.set_module_path()
        failed = preload(command)
        sys.stdout.reconfigure(line_buffering=True)
    # Only now: once our children go to another pid namespace we can start no thread (CLONE_THREAD
    # needs our own), and preloading numpy starts OpenBLAS's threads. Whatever an import forked stays out.
    namespace.enter()
    supervisor = Supervisor(mode, command, run_filter, namespace)
    report({"event": "ready", "preloadFailed": failed})
    control = Control()
    try:
        for job in control.frames():
            op = job.get("op")
            if op == "run":
                try:
                    supervisor.serve_run(job, control)
                except ProtocolError:
                    raise
                except Exception as err:  # never lose the session to one run: report it as that run's failure
                    finish_run(job.get("id"), None, "%s: %s" % (type(err).__name__, err))
            elif op == "put":
                supervisor.serve_put(job)
    except ProtocolError as err:
        report({"event": "error", "message": "the session stopped: %s" % err})
        sys.exit(2)


if __name__ == "__main__":
    main()
