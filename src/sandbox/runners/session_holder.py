# The state holder of a stateful Python session: the untrusted side, forked from the supervisor
# (session.py) into the run namespace and confined like a run before it reads anything. It holds the
# session's __main__ between runs and never runs a cell itself: each run is a child forked from it that
# runs the cell in a copy of the state — forked ahead of time, between runs (a standby), so a run does not
# wait for the fork. A child that finishes (ok, an exception, SystemExit) reports `done` and becomes the
# holder (its parent is then killed by the supervisor); a child that dies (a limit, a segfault, os._exit)
# leaves this holder as it was, which reports `died` and waits for what comes next.
#
# Lines on fd 3 (from the supervisor): `standby` (fork the next run's child now), `run <id> <dir>` (to
#   the standby, or to the holder when there is none); <dir> holds cell.py, stdin, env.json.
# Lines on fd 4 (to the supervisor): `ready`, `standby <pid>`, `started <id> <pid>`, `done <id> <code>`,
#   `died <id or ?> <code>` (<code> negative: killed by that signal).
# Exactly one process reads fd 3 at a time: the holder, or its standby while the holder waits for it.
import ast
import ctypes
import re
import select
import json
import linecache
import os
import signal
import sys

import scriptbox_python

COMMANDS = 3
EVENTS = 4
CELL = "<cell>"
# pagemap entries are 8 bytes, little-endian: in the last byte, 0x80 is "present" (bit 63) and 0x01
# "mapped by this process alone" (bit 56: written since it was forked).
ALONE = bytes(1 if byte & 0x81 == 0x81 else 0 for byte in range(256))
MAX_REGION_BYTES = 16 << 20  # larger mappings are arrays' buffers: read far more than written
MAX_WARM_PAGES = 16384  # 64 MiB copied at most


def say(line):
    os.write(EVENTS, (line + "\n").encode("ascii"))


def read_line():
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(COMMANDS, 4096)
        if not chunk:  # the supervisor is gone
            os._exit(0)
        data += chunk
    return data.decode("utf-8").strip()


def serve():
    """The holder's loop (also the loop of every child that finished its cell). Never returns."""
    main = type(sys)("__main__")
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    sys.argv = [CELL]
    work = os.getcwd()  # cells may change directory; the display channel stays in the work dir
    for fd in (COMMANDS, EVENTS):
        os.set_inheritable(fd, False)  # a program a cell starts does not get our channels
    say("ready")
    while True:
        words = read_line().split(" ")
        if words == ["standby"]:
            run = None
        elif len(words) == 3 and words[0] == "run":
            run = (words[1], words[2])
        else:
            continue
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # (see idle()) a run's status is ours to read again
        pages = working_set() if run is None else []
        pid = os.fork()
        if pid == 0:
            become_run()
            if run is None:
                say("standby %d" % os.getpid())
                warm(pages)
                words = read_line().split(" ")
                if len(words) != 3 or words[0] != "run":
                    os._exit(0)
                run = (words[1], words[2])
            run_cell(run[0], run[1], main.__dict__, work)
            continue  # this child is the holder now
        while True:
            try:
                status = os.waitpid(pid, 0)[1]
                break
            except ChildProcessError:
                status = None
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status) if status is not None else -9
        say("died %s %d" % (run[0] if run is not None else "?", code))


def working_set():
    """The pages of the heap this process holds alone — the ones its last run wrote — which the next run
    will likely write again: a standby copies them ahead (warm) instead of faulting on each in the run."""
    pages = []
    try:
        with open("/proc/self/maps", "rb") as maps, open("/proc/self/pagemap", "rb") as pagemap:
            for line in maps:
                fields = line.split()
                if fields[1] != b"rw-p" or (len(fields) > 5 and fields[5] != b"[heap]"):
                    continue
                start, end = (int(bound, 16) for bound in fields[0].split(b"-"))
                if end - start > MAX_REGION_BYTES:
                    continue
                pagemap.seek((start >> 12) * 8)
                alone = pagemap.read(((end - start) >> 12) * 8)[7::8].translate(ALONE)
                pages.extend(start + (match.start() << 12) for match in re.finditer(b"\x01", alone))
                if len(pages) >= MAX_WARM_PAGES:
                    break
    except (OSError, ValueError):
        return []
    return pages[:MAX_WARM_PAGES]


def warm(pages):
    """Writes each page's first byte back as it is: the copy-on-write copies happen now, between runs,
    not in the run. Stops as soon as a run arrives (the supervisor stops it anyway after a moment)."""
    for start in range(0, len(pages), 256):
        if select.select([COMMANDS], [], [], 0)[0]:
            return
        for address in pages[start : start + 256]:
            byte = ctypes.c_ubyte.from_address(address)
            byte.value = byte.value


def become_run():
    """In a new child, before it reads its run: a session of its own, first in line for the OOM killer."""
    os.setsid()
    adj = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    os.write(adj, b"1000")  # under memory pressure the run goes, not the state it started from
    os.close(adj)


def run_cell(run_id, directory, namespace, work):
    """In the run's child: run one cell on the state, report, and come back as the holder."""
    say("started %s %d" % (run_id, os.getpid()))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stdin = os.open(os.path.join(directory, "stdin"), os.O_RDONLY | os.O_NOFOLLOW)
    os.dup2(stdin, 0)
    os.close(stdin)
    sys.stdin = open(0, "r", closefd=False)
    with open(os.path.join(directory, "env.json"), "rb") as handle:
        variables = {k.encode(): v.encode() for k, v in json.load(handle).items()}
    # The run's variables are the run's: the state goes on with the environment it had before.
    before = {name: os.environb.get(name) for name in variables}
    os.environb.update(variables)
    with open(os.path.join(directory, "args.json"), "rb") as handle:
        sys.argv = [CELL, *json.load(handle)]
    with open(os.path.join(directory, "cell.py"), "rb") as handle:
        source = handle.read()
    scriptbox_python.prepare_display(work)
    code = execute(source, namespace)
    for name, value in before.items():
        if value is None:
            os.environb.pop(name, None)
        else:
            os.environb[name] = value
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    idle()
    say("done %s %d" % (run_id, code))
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def idle():
    """Before the supervisor kills what the cell left running: no child of ours may linger as a zombie
    (it would count against the session's processes), so the ones gone are reaped and the rest will be
    by the kernel, until the next run."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def execute(source, namespace):
    """Runs a cell like a notebook does: the statements, then the value of a final expression shown.
    Returns the exit code a script would have had."""
    text = source.decode("utf-8", "replace")
    linecache.cache[CELL] = (len(text), None, text.splitlines(True), CELL)
    try:
        tree = ast.parse(source, CELL)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, CELL, "exec", dont_inherit=True), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), CELL, "eval", dont_inherit=True), namespace)
            if value is not None:
                namespace["_"] = value
                scriptbox_python.emit({"type": "result", "data": scriptbox_python.display_value(value)})
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        if not isinstance(exit.code, int) and exit.code is not None:
            sys.stderr.write(str(exit.code) + "\n")
    except BaseException as err:
        report_error(err)
        code = 1
    try:
        scriptbox_python.emit_figures()
    except Exception:
        pass
    return code & 0xFF


def report_error(err):
    """The traceback from the cell's own frames on (none of ours), as Python prints it."""
    import traceback

    tb = err.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != CELL and tb.tb_next is not None:
        tb = tb.tb_next
    traceback.print_exception(type(err), err, tb)
    try:
        scriptbox_python.emit(scriptbox_python.error_item(err, CELL))
    except Exception:
        pass
