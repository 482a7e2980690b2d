# scriptbox session supervisor: the resident, trusted process of a session sandbox, started as
#   python3 -I -S session.py python [module-to-preload ...]    (runs Python in-process, forked per run)
#   python3 -I -S session.py exec <interpreter> [args ...]     (execs `<interpreter> [args] <file>` per run)
#   python3 -I -S session.py python-state [module ...]         (stateful: runs keep their state, Holder)
#   python3 -I -S session.py exec-state <program> [args ...]   (stateful: a holder program, Node or bash)
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
# Stateful sessions (StatefulSupervisor): the state lives in an untrusted holder process in the run
# namespace; each run is a fork of it, and only a run that finishes becomes the state (its exit event
# says "state": "updated"); a run that dies leaves the state it started from ("kept"). out/ is kept.
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
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the runner's dir out
import scriptbox_python  # noqa: E402  (shared with the other Python runner; it sets the real path)
import session_holder  # noqa: E402  (the state holder of stateful Python sessions, forked from us)

STATUS_FD = 3
CONTROL_FD = 6
DISPLAY_DIR = ".scriptbox-run"
STANDBY_WAIT_S = 0.25
STANDBY_WARM_S = 0.1  # how long a standby may copy its pages between runs before it is stopped
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


def confine_run(mount_ns, run_filter, oom_score_adj=b"1000"):
    """In the run's child, before any script code: the mount namespace its init made (its own /proc),
    no capabilities, the run's filter."""
    work = os.getcwd()
    check(libc.setns(mount_ns, CLONE_NEWNS), "entering the run's mount namespace")
    os.chdir(work)
    check(libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    adj = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    os.write(adj, oom_score_adj)  # under memory pressure the run goes, not the session
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
        self.base = frozenset(before | {1, os.getpid(), self.init_pid})
        self.known = set(self.base)

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

    def frames(self, idle=None):
        """The frames, in order; while none is there, `idle()` (if given) may return how many seconds to
        wait before calling it again, or None to wait for the next frame."""
        while True:
            self._parse()
            if self.queued:
                yield self.queued.pop(0)
                continue
            timeout = idle() if idle is not None else None
            if timeout is not None and not select.select([CONTROL_FD], [], [], timeout)[0]:
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


def run_python(code, path, args):
    """In the run's child: become the script, in a fresh __main__, with rich outputs as one-shot runs
    have them (figures, display(), the error's name, value and traceback)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin = open(0, "r", closefd=False)
    scriptbox_python.prepare_display(os.getcwd())
    name = os.path.basename(path)
    status = scriptbox_python.run_as_main(
        code, path, lambda err: scriptbox_python.emit(scriptbox_python.error_item(err, name)), args)
    try:
        scriptbox_python.emit_figures()
    except Exception:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status)


def run_args(job):
    """A run's command-line arguments (checked by the host too: script-env.ts)."""
    args = job.get("args") or []
    if not isinstance(args, list) or not all(isinstance(arg, str) and "\0" not in arg for arg in args):
        raise ValueError("the run's args are not a list of strings")
    return args


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


def fresh_dir(name):
    """An empty directory `name`, whatever an earlier run left at that name."""
    no_path(name)
    os.mkdir(name)


def no_path(name):
    """Nothing at `name` (whatever an earlier run left there; rmtree never follows links)."""
    if os.path.isdir(name) and not os.path.islink(name):
        shutil.rmtree(name)
    elif os.path.lexists(name):
        os.unlink(name)


def out_dir():
    """out/ as a directory, kept with what earlier runs wrote (a stateful session's)."""
    if os.path.islink("out") or (os.path.lexists("out") and not os.path.isdir("out")):
        os.unlink("out")
    if not os.path.lexists("out"):
        os.mkdir("out")


class Supervisor:
    def __init__(self, mode, command, run_filter, namespace):
        self.mode = mode
        self.command = command
        self.run_filter = run_filter
        self.namespace = namespace

    def serve_run(self, job, control):
        fresh_dir("out")
        no_path(DISPLAY_DIR)  # the run's display channel (rich outputs) starts empty: a run that dies
        # before it starts shows nothing of an earlier one
        path = job["file"]
        source = base64.b64decode(job.get("source") or "")
        env = run_env(job)
        args = run_args(job)
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
            status, error = self.run_in_namespace(code, path, env, args, job, control)
        finally:
            if not self.namespace.clear():
                raise ProtocolError("a run's processes could not be killed")
        if not self.namespace.alive():
            raise ProtocolError("the run namespace's init died")
        finish_run(job["id"], status, error)

    def run_in_namespace(self, code, path, env, args, job, control):
        """Forks the run into the namespace and waits for its first process; returns (status, error)."""
        stdin_read, stdin_write = os.pipe()
        setup_read, setup_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            self.become_run(code, path, env, args, stdin_read, setup_write)
        os.close(stdin_read)
        os.close(setup_write)
        problem = read_all(setup_read)
        if problem:
            os.close(stdin_write)
            return os.waitpid(pid, 0)[1], "cannot confine the run: " + problem.decode("utf-8", "replace")
        report({"event": "started", "id": job["id"]})
        stdin = base64.b64decode(job.get("stdin") or "")
        return wait_for(pid, self.namespace, control, stdin_write, stdin), None

    def become_run(self, code, path, env, args, stdin_read, setup_write):
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
            run_python(code, path, args)
        try:
            argv = self.command + [path] + args
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


class Holder:
    """The supervisor's side of a stateful session's state holder (session_holder.py for Python, an
    exec'd program for Node and bash): an untrusted process in the run namespace that keeps the state.
    It writes into two pipes of its own that the supervisor copies to the host only while a run is under
    way (and drains between runs), so nothing it or a run leaves behind can write into the host's streams
    outside a run's window or after its token. Python's holder forks the next run's process between runs
    (its standby); the holder a finished run replaced (obsolete) goes once that run is reported."""

    def __init__(self, supervisor):
        self.supervisor = supervisor
        self.out_r, self.out_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        for fd in (self.out_r, self.err_r):
            os.set_blocking(fd, False)
        self.pid = None
        self.pidfd = None
        self.standby = None  # (our pid, its pid in the run namespace)
        self.warm_until = None  # the standby runs (warming up) until then
        self.obsolete = None
        self.commands = None
        self.events = None
        self.pending = b""

    @property
    def known(self):
        return self.supervisor.namespace.known

    def start(self):
        """Forks a new holder (an empty state); returns once it said `ready`."""
        supervisor = self.supervisor
        self.forget()
        commands_r, commands_w = os.pipe()
        events_r, events_w = os.pipe()
        setup_r, setup_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                confine_run(supervisor.namespace.mount_ns, supervisor.run_filter, b"0")
                null = os.open("/dev/null", os.O_RDONLY)
                for source, target in ((null, 0), (self.out_w, 1), (self.err_w, 2), (commands_r, 3),
                                       (events_w, 4)):
                    os.dup2(source, target)
                os.closerange(5, os.sysconf("SC_OPEN_MAX"))  # the setup pipe too
            except BaseException as err:
                try:
                    os.write(setup_w, str(err).encode("utf-8", "replace") or b"unknown error")
                finally:
                    os._exit(127)
            if supervisor.mode == "python-state":
                session_holder.serve()
                os._exit(0)
            try:
                os.execve(supervisor.command[0], supervisor.command, os.environ)
            except OSError as err:
                os.write(2, ("scriptbox: cannot start %s: %s\n" % (supervisor.command[0], err.strerror)).encode())
            os._exit(127)
        for fd in (commands_r, events_w, setup_w):
            os.close(fd)
        problem = read_all(setup_r)
        if problem:
            os.waitpid(pid, 0)
            raise ProtocolError("cannot start the session's state: " + problem.decode("utf-8", "replace"))
        self.close_channels()
        self.commands, self.events, self.pending = commands_w, events_r, b""
        self.adopt(pid)
        line = self.next_event(timeout=30)
        if line != ["ready"]:
            raise ProtocolError("the session's state holder did not start (%r)" % (line,))
        self.prepare_standby()

    def forget(self):
        """Kills what is left of an earlier holder (it died, or stopped answering)."""
        for pid in (self.pid, self.obsolete, self.standby and self.standby[0]):
            if pid is not None:
                kill_quietly(pid)
                self.known.discard(pid)
        self.standby = self.obsolete = None

    def adopt(self, pid):
        """`pid` (in our own numbering) holds the state from now on."""
        if self.pid is not None:
            self.known.discard(self.pid)
        if self.pidfd is not None:
            os.close(self.pidfd)
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.known.add(pid)

    def promote(self, pid):
        """The run `pid` finished: it is the state now; the holder it came from goes once the run is
        reported (retire_obsolete)."""
        if pid == self.pid:
            return  # a holder that runs cells itself (Node)
        self.obsolete = self.pid
        self.adopt(pid)
        self.known.add(self.obsolete)  # not a stray of the run: it goes after the run is reported

    def retire_obsolete(self):
        if self.obsolete is not None:
            kill_quietly(self.obsolete)
            self.known.discard(self.obsolete)
            self.obsolete = None

    def prepare_standby(self):
        """Python: has the holder fork the next run's process now, outside any run."""
        if self.supervisor.mode != "python-state" or self.standby is not None or not self.alive():
            return
        write_all(self.commands, b"standby\n")
        # Briefly: the holder runs unbilled meanwhile (a fork takes milliseconds). One that does not answer
        # in time is stopped all the same; its next run goes to the holder itself.
        deadline = time.monotonic() + STANDBY_WAIT_S
        while True:
            words = self.next_event(timeout=max(0, deadline - time.monotonic()))
            if not words:
                return  # no answer: the next run goes to the holder itself
            if len(words) == 2 and words[0] == "standby" and words[1].isdigit():
                pid = outer_pid(int(words[1]))
                if pid is not None and pid not in self.supervisor.namespace.base:
                    self.standby = (pid, int(words[1]))
                    self.known.add(pid)
                return

    def take_standby(self):
        """The standby, now the run's process (no longer ours to keep), or None."""
        standby, self.standby = self.standby, None
        if standby is not None:
            self.known.discard(standby[0])
        return standby

    def processes(self):
        return [pid for pid in (self.pid, self.standby and self.standby[0]) if pid is not None]

    def pause(self, standby=True):
        """Between runs the state is stopped: nothing a run left in it (a thread, a timer) runs, writes,
        forks or uses CPU outside a run's window and limits. Returns once it has stopped. The standby (a
        fresh fork, single-threaded) may be left to warm up its pages for STANDBY_WARM_S first."""
        processes = self.processes() if standby else [self.pid]
        self.warm_until = None if standby or self.standby is None else time.monotonic() + STANDBY_WARM_S
        for pid in processes:
            kill_quietly(pid, signal.SIGSTOP)
        for pid in processes:
            for _ in range(2000):
                if task_state(pid) in ("T", None):
                    break
                select.select([], [], [], 0.0005)

    def stop_standby_after(self):
        """Seconds left for the standby to warm up; it is stopped once they are over (then None)."""
        if self.warm_until is None:
            return None
        left = self.warm_until - time.monotonic()
        if left > 0:
            return left
        self.pause()
        return None

    def resume(self):
        for pid in self.processes():
            kill_quietly(pid, signal.SIGCONT)

    def tasks(self):
        """The tasks (threads) of the state's processes: the host counts them as the session's idle ones
        (the obsolete holder, and the standby about to be forked, included)."""
        count = (self.obsolete is not None) + (self.supervisor.mode == "python-state")
        try:
            with open("/proc/%d/status" % self.pid, "rb") as handle:
                for line in handle:
                    if line.startswith(b"Threads:"):
                        return count + int(line.split()[1])
        except (OSError, ValueError, TypeError):
            pass
        return count

    def close_channels(self):
        for fd in (self.commands, self.events):
            if fd is not None:
                os.close(fd)

    def alive(self):
        return self.pidfd is not None and not select.select([self.pidfd], [], [], 0)[0]

    def next_event(self, timeout=None):
        """The next event line as words; None on timeout, [] when the holder's side closed."""
        while b"\n" not in self.pending:
            if not select.select([self.events], [], [], timeout)[0]:
                return None
            chunk = os.read(self.events, 4096)
            if not chunk:
                return []
            self.pending += chunk
            if len(self.pending) > 4096:
                raise ProtocolError("the state holder sent a line of more than 4 KiB")
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode("ascii", "replace").split(" ")

    def drop_events(self):
        """Forgets event lines a run has not asked for (a standby that died between runs)."""
        while self.next_event(timeout=0):
            pass

    def drain(self, relay):
        """Reads what both pipes hold now: copied to our stdout/stderr during a run, else dropped."""
        for source, target in ((self.out_r, 1), (self.err_r, 2)):
            while True:
                try:
                    chunk = os.read(source, 1 << 16)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                if relay:
                    write_all(target, chunk)


def kill_quietly(pid, number=signal.SIGKILL):
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def task_state(pid):
    """A process's state letter (R, S, T...), None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def outer_pid(inner):
    """Our number for the process that is `inner` in the run namespace (its NSpid's last field)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name, "rb") as handle:
                for line in handle:
                    if line.startswith(b"NSpid:"):
                        fields = line.split()[1:]
                        if len(fields) == 2 and int(fields[1]) == inner:
                            return int(name)
                        break
        except (OSError, ValueError):
            continue
    return None


class StatefulSupervisor(Supervisor):
    """Runs every run on the session's state (see Holder and session_holder.py): only a run that finishes
    becomes the new state; a run that dies leaves the state it started from."""

    def __init__(self, mode, command, run_filter, namespace):
        super().__init__(mode, command, run_filter, namespace)
        self.holder = Holder(self)
        self.holder.start()

    def serve_run(self, job, control):
        out_dir()
        no_path(DISPLAY_DIR)
        source = base64.b64decode(job.get("source") or "")
        env = run_env(job)
        if self.mode == "python-state":
            try:
                compile(source, "<cell>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
                if not isinstance(err, SyntaxError):
                    err = SyntaxError(str(err) or type(err).__name__)
                report({"event": "syntax", "id": job["id"], "line": err.lineno or 0,
                        "column": err.offset or 0, "message": "%s: %s" % (type(err).__name__, err.msg)})
                return
        holder = self.holder
        state = "updated"
        if not holder.alive():
            holder.start()
            state = "reset"
        holder.drain(relay=False)
        holder.drop_events()
        holder.resume()
        directory = "/tmp/.scriptbox-run-%s" % os.urandom(8).hex()
        os.mkdir(directory, 0o700)
        try:
            write_new(os.path.join(directory, "cell" + (".py" if self.mode == "python-state" else "")), source)
            write_new(os.path.join(directory, "stdin"), base64.b64decode(job.get("stdin") or ""))
            write_new(os.path.join(directory, "env.json"), json.dumps(
                {k.decode(): v.decode("utf-8") for k, v in env.items()}).encode("utf-8"))
            args = run_args(job)
            write_new(os.path.join(directory, "args.json"), json.dumps(args).encode("utf-8"))
            # bash: each variable's earlier value is kept to restore after the run (session_bash.sh).
            write_new(os.path.join(directory, "env.sh"), b"".join(
                b"__scriptbox_keep %s\nexport %s=%s\n" % (k, k, shell_quote(v)) for k, v in env.items()
            ) + b"set -- %s\n" % b" ".join(shell_quote(arg.encode("utf-8", "surrogateescape")) for arg in args))
            standby = holder.take_standby()
            write_all(holder.commands, ("run %d %s\n" % (job["id"], directory)).encode("ascii"))
            code, outcome = self.wait_run(job, control, standby)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            holder.pause()
            if not self.namespace.clear():
                raise ProtocolError("a run's processes could not be killed")
            holder.drain(relay=True)
        if not self.namespace.alive():
            raise ProtocolError("the run namespace's init died")
        if outcome != "updated":
            state = outcome
        status = None if code is None else (code << 8 if code >= 0 else -code)
        finish_run(job["id"], status, state=state, state_tasks=holder.tasks())
        # Reported: what the run's end leaves to do is done while the host reads the result.
        holder.retire_obsolete()
        holder.resume()
        holder.prepare_standby()
        holder.pause(standby=False)  # the standby warms up a moment longer (see idle)

    def idle(self):
        """Between runs: the standby is stopped once its moment to warm up is over."""
        return self.holder.stop_standby_after()

    def wait_run(self, job, control, standby):
        """Copies the run's output while it runs; returns (exit code, -signal or None; what became of the
        state: "updated", "kept" (the run died, the state it started from stays) or "reset" (lost))."""
        holder = self.holder
        run_id = str(job["id"])
        child = None  # the run's process: (pid, pidfd); the holder itself when it runs cells (Node)
        started = killed = False
        try:
            while True:
                watch = [holder.events, holder.out_r, holder.err_r, CONTROL_FD, holder.pidfd]
                if child is not None:
                    watch.append(child[1])
                readable = [] if b"\n" in holder.pending else select.select(watch, [], [])[0]
                if holder.out_r in readable or holder.err_r in readable:
                    holder.drain(relay=True)
                if CONTROL_FD in readable and control.kill_requested() and not killed:
                    killed = True
                    self.kill_run(child, started)
                if holder.events in readable or b"\n" in holder.pending:
                    words = holder.next_event(timeout=0)
                    if words == []:
                        return None, "reset"
                    if words and len(words) == 3 and words[1] == run_id:
                        if words[0] == "started" and not started:
                            started = True
                            report({"event": "started", "id": job["id"]})
                            inner = int(words[2]) if words[2].isdigit() else -1
                            pid = standby[0] if standby and standby[1] == inner else outer_pid(inner)
                            if pid is not None and pid not in self.namespace.base:
                                try:
                                    child = (pid, os.pidfd_open(pid))
                                except ProcessLookupError:
                                    pass  # gone already: its holder reports how it ended
                            if killed:
                                self.kill_run(child, started)
                        elif words[0] == "done" and child is not None:
                            holder.drain(relay=True)
                            holder.promote(child[0])
                            return int(words[2]), "updated"
                        elif words[0] == "died":
                            return int(words[2]), "kept"
                    elif words and len(words) == 3 and words[0] == "died" and words[1] == "?" and started:
                        return int(words[2]), "kept"  # its standby, which had started this run
                if child is not None and child[1] in readable and child[0] != holder.pid:
                    # The run died: its holder says how (a moment's grace), else it was a kill.
                    words = holder.next_event(timeout=0.2)
                    if words and len(words) == 3 and words[0] == "died" and words[1] in (run_id, "?"):
                        return int(words[2]), "kept"
                    return None, "kept" if holder.alive() else "reset"
                if holder.pidfd in readable and (child is None or child[0] == holder.pid):
                    return None, "reset"  # the holder itself died, and its state with it
        finally:
            if child is not None:
                os.close(child[1])

    def kill_run(self, child, started):
        """Kills the run and everything it started, never the state it started from; a holder that runs
        cells itself (Node) is interrupted first, and killed (its state with it) only if it goes on."""
        holder = self.holder
        if not started:
            kill_quietly(holder.pid)  # it never started the run: a holder that no longer answers
        elif child is not None and child[0] == holder.pid:
            kill_quietly(holder.pid, signal.SIGINT)
            if not select.select([holder.events], [], [], 0.5)[0]:
                kill_quietly(holder.pid)
        self.namespace.kill_all()


def shell_quote(value):
    return b"'" + value.replace(b"'", b"'\\''") + b"'"


def write_new(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o400)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


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


def finish_run(run_id, status, error=None, state=None, state_tasks=None):
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
    if state:
        event["state"] = state
        event["stateTasks"] = state_tasks
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
    if mode in ("python", "python-state"):
        scriptbox_python.set_module_path()
        failed = preload(command)
        sys.stdout.reconfigure(line_buffering=True)
    # Only now: once our children go to another pid namespace we can start no thread (CLONE_THREAD
    # needs our own), and preloading numpy starts OpenBLAS's threads. Whatever an import forked stays out.
    namespace.enter()
    stateful = StatefulSupervisor if mode.endswith("-state") else Supervisor
    supervisor = stateful(mode, command, run_filter, namespace)
    ready = {"event": "ready", "preloadFailed": failed}
    if stateful is StatefulSupervisor:
        supervisor.holder.pause()
        ready["stateTasks"] = supervisor.holder.tasks()
    report(ready)
    control = Control()
    try:
        for job in control.frames(getattr(supervisor, "idle", None)):
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
