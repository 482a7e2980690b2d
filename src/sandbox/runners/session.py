# scriptbox python session runner (a zygote): runs inside a session sandbox as
#   python3 -I -S session.py [module-to-preload ...]
# It imports the preload modules once, says {"event": "ready"} on fd 3, then serves jobs that arrive on
# fd 6 as `<length>\n<json>` frames:
#   {"op": "run", "id", "file", "source", "stdin"}: empty out/ (a run's files are the ones it wrote),
#       compile (syntax error -> {"event": "syntax"}), fork a
#       child that runs the script in a fresh __main__ with a fresh stdin pipe, wait for it (a "kill" frame
#       meanwhile kills it), kill whatever it left behind, then write a fresh random token to stdout and
#       stderr and report {"event": "exit", "id", "code", "signal", "token"}. The host knows the run's
#       output is complete when it has seen the token on both streams; the script, gone by then, never knew
#       it.
#   {"op": "put", "id", "name", "data"}: write a file (base64 data) into the work dir, never through a link.
#   {"op": "kill"}: kill the running child and everything it started.
import base64
import json
import os
import select
import shutil
import signal
import sys

STATUS_FD = 3
CONTROL_FD = 6


def report(event):
    os.write(STATUS_FD, (json.dumps(event) + "\n").encode("utf-8"))


class Control:
    """Reads `<length>\n<json>` frames from the host."""

    def __init__(self):
        self.buffer = b""
        self.queued = []

    def _parse(self):
        while True:
            newline = self.buffer.find(b"\n")
            if newline < 0:
                return
            size = int(self.buffer[:newline])
            if len(self.buffer) < newline + 1 + size:
                return
            self.queued.append(json.loads(self.buffer[newline + 1 : newline + 1 + size]))
            self.buffer = self.buffer[newline + 1 + size :]

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


def site_dirs():
    version = "python%d.%d" % sys.version_info[:2]
    candidates = [
        "/usr/local/lib/%s/dist-packages" % version,
        "/usr/lib/python3/dist-packages",
        "/usr/lib/%s/dist-packages" % version,
    ]
    return [d for d in candidates if os.path.isdir(d)]


def run_child(code, path, stdin_read):
    """In the forked child: become the script."""
    os.setsid()
    os.dup2(stdin_read, 0)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    with open("/proc/self/oom_score_adj", "w") as adj:
        adj.write("1000")  # under memory pressure the run goes, not the session
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin = open(0, "r", closefd=False)
    sys.argv = [os.path.basename(path)]
    module = type(sys)("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    status = 0
    try:
        exec(code, module.__dict__)
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        if not isinstance(exit.code, int) and exit.code is not None:
            sys.stderr.write(str(exit.code) + "\n")
    except BaseException as err:
        import traceback

        traceback.print_exception(type(err), err, err.__traceback__.tb_next)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(status & 0xFF)


def kill_strays():
    """Kills every process of the sandbox but this one and its init, and waits until they are gone."""
    me = os.getpid()
    for _ in range(2000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not others:
            return
        select.select([], [], [], 0.001)


def fresh_out_dir():
    """An empty out/, whatever an earlier run left at that name (rmtree never follows links)."""
    if os.path.isdir("out") and not os.path.islink("out"):
        shutil.rmtree("out")
    elif os.path.lexists("out"):
        os.unlink("out")
    os.mkdir("out")


def serve_run(job, control):
    fresh_out_dir()
    path = job["file"]
    source = job["source"].encode("utf-8")
    # Earlier runs own the work dir: never write through whatever they left at this name.
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "wb") as handle:
        handle.write(source)
    try:
        code = compile(source, os.path.basename(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        if not isinstance(err, SyntaxError):
            err = SyntaxError(str(err))
        report({"event": "syntax", "id": job["id"], "line": err.lineno or 0, "column": err.offset or 0,
                "message": "%s: %s" % (type(err).__name__, err.msg)})
        return
    stdin_read, stdin_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(stdin_write)
        run_child(code, path, stdin_read)
    os.close(stdin_read)
    report({"event": "started", "id": job["id"]})
    status = wait_for(pid, control, stdin_write, base64.b64decode(job.get("stdin") or ""))
    finish_run(job["id"], status)


def finish_run(run_id, status, error=None):
    """Kills what the run left, ends both output streams with a fresh token, reports the exit."""
    kill_strays()
    token = os.urandom(16).hex()
    for fd in (1, 2):
        os.write(fd, ("\n%s\n" % token).encode("ascii"))
    code = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    event = {"event": "exit", "id": run_id, "code": code if code >= 0 else None,
             "signal": signal.Signals(-code).name if code < 0 else None, "token": token}
    if error:
        event["error"] = error
    report(event)


def wait_for(pid, control, stdin_fd, stdin_data):
    """Waits for the child while feeding its stdin (no thread: the run may have used up every pid);
    a kill frame from the host kills it and everything it started at once."""
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
                try:
                    os.kill(-1, signal.SIGKILL)  # the child and all it started; reaped below
                except ProcessLookupError:
                    pass
            if pidfd in readable or CONTROL_FD in readable:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return status
    finally:
        os.close(pidfd)
        if stdin_fd is not None:
            os.close(stdin_fd)


def serve_put(job):
    name = job["name"]
    parts = name.split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        report({"event": "put", "id": job["id"], "ok": False, "error": "not a plain relative path: %r" % name})
        return
    try:
        directory = "."
        for part in parts[:-1]:
            directory = os.path.join(directory, part)
            if not os.path.isdir(directory) or os.path.islink(directory):
                os.mkdir(directory)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        fd = os.open(name, flags, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64decode(job["data"]))
        report({"event": "put", "id": job["id"], "ok": True})
    except OSError as err:
        report({"event": "put", "id": job["id"], "ok": False, "error": "%s: %s" % (name, err.strerror)})


def close_inherited_fds():
    """Closes every fd but 0-2, the status and the control pipe (the host seals its own leaks to /dev/null)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in (STATUS_FD, CONTROL_FD):
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own fd


def main():
    close_inherited_fds()
    sys.path[0] = os.getcwd()
    sys.path.extend(site_dirs())
    failed = []
    for module in sys.argv[1:]:
        try:
            __import__(module)
        except Exception as err:  # reported, and the session still works without it
            failed.append("%s: %s" % (module, err))
    sys.stdout.reconfigure(line_buffering=True)
    report({"event": "ready", "preloadFailed": failed})
    control = Control()
    for job in control.frames():
        if job["op"] == "run":
            try:
                serve_run(job, control)
            except Exception as err:  # never lose the session to one run: report it as that run's failure
                finish_run(job["id"], None, "%s: %s" % (type(err).__name__, err))
        elif job["op"] == "put":
            serve_put(job)


if __name__ == "__main__":
    main()
