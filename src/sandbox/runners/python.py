# scriptbox python runner: runs inside the sandbox as `python3 -I -S runner.py [module-to-preload ...]`.
# It says `ready` on fd 3 and waits for its job on fd 6 (meanwhile the host confines the sandbox and holds
# its work dir), and writes the job's files and script. It compiles the script first (a syntax error is reported on
# fd 3 and nothing runs; success is `ok`), closes every fd but 0-2, sets the job's environment variables,
# then runs the script as __main__ (scriptbox_python.py, shared with the session runner, sets the module
# path and runs it). Figures, display() items and an uncaught error also go to .scriptbox-run/outputs.jsonl
# (scriptbox_python.py says how), read by the host after the run.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the runner's dir out
import scriptbox_python  # noqa: E402  (shared with the other Python runner; it sets the real path)

STATUS_FD = 3
GO_FD = 6


def wait_for_job():
    """Waits for the job (until EOF): `go <file> <n> <m> <k>\n`, n files as `<name-length> <size>\n<name>
    <bytes>`, m environment variables as `NAME=VALUE\0`, k arguments as `ARG\0`, then the script source.
    Writes the files (read-only) and the script; returns the script's name, its source, the variables
    (bytes to bytes) and the arguments."""
    os.write(STATUS_FD, b"ready\n")
    chunks = []
    while True:
        chunk = os.read(GO_FD, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(GO_FD)
    header, newline, rest = b"".join(chunks).partition(b"\n")
    if not newline:  # the host went away before giving a job
        sys.exit(0)
    words = header.decode("utf-8").split(" ")
    name = words[1]
    for _ in range(int(words[2]) if len(words) > 2 else 0):
        line, _, rest = rest.partition(b"\n")
        name_length, size = (int(word) for word in line.split(b" "))
        write_new(rest[:name_length].decode("utf-8"), rest[name_length : name_length + size])
        rest = rest[name_length + size :]
    env = {}
    for _ in range(int(words[3]) if len(words) > 3 else 0):
        entry, _, rest = rest.partition(b"\0")
        key, _, value = entry.partition(b"=")
        env[key] = value
    args = []
    for _ in range(int(words[4]) if len(words) > 4 else 0):
        arg, _, rest = rest.partition(b"\0")
        args.append(arg.decode("utf-8", "surrogateescape"))
    write_new(name, rest)
    return name, rest, env, args


def write_new(name, data):
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def report_syntax_error(err):
    line = err.lineno or 0
    column = err.offset or 0
    text = "%s: %s" % (type(err).__name__, err.msg if hasattr(err, "msg") else err)
    os.write(STATUS_FD, ("syntax %d %d\n%s" % (line, column, text)).encode("utf-8", "replace"))


def preload(modules):
    """Imports what the host asked for while we wait; a failure is left for the script to meet."""
    for module in modules:
        try:
            __import__(module)
        except Exception:
            pass


def main():
    scriptbox_python.set_module_path()
    preload(sys.argv[1:])
    path, source, env, args = wait_for_job()
    try:
        code = compile(source, os.path.basename(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as err:
        if not isinstance(err, SyntaxError):
            err = SyntaxError(str(err))
        report_syntax_error(err)
        os.close(STATUS_FD)
        return 2
    os.write(STATUS_FD, b"ok\n")
    os.close(STATUS_FD)
    # Nothing but stdin, stdout and stderr reaches the script.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    # Output appears as it is produced, and survives a kill at a limit.
    sys.stdout.reconfigure(line_buffering=True)
    # Rich outputs (figures, display(), the error) go to .scriptbox-run/.
    scriptbox_python.prepare_display(os.getcwd())
    # The job's variables, byte for byte as the host sent them; the script and its children see them.
    os.environb.update(env)

    filename = os.path.basename(path)
    status = scriptbox_python.run_as_main(
        code, path, lambda err: scriptbox_python.emit(scriptbox_python.error_item(err, filename)), args
    )
    # Figures still open (never shown, or shown before an error) are part of the result too.
    scriptbox_python.emit_figures()
    return status


if __name__ == "__main__":
    sys.exit(main())
