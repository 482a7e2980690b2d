# Shared by scriptbox's Python runners (python.py for one-shot runs, session.py for sessions), which
# import it from their own directory before anything else: the module path scripts see, and running a
# script as __main__.
import os
import sys


def site_dirs():
    version = "python%d.%d" % sys.version_info[:2]
    candidates = [
        "/usr/local/lib/%s/dist-packages" % version,
        "/usr/lib/python3/dist-packages",
        "/usr/lib/%s/dist-packages" % version,
    ]
    return [d for d in candidates if os.path.isdir(d)]


def set_module_path():
    """The runner's own dir goes and Debian's dist-packages (skipped by -S) come in; the work dir comes
    last, so a file there never shadows the standard library or a package, and helper modules still
    import."""
    runner_dir = os.path.dirname(os.path.abspath(__file__))
    work = os.getcwd()
    sys.path[:] = [entry for entry in sys.path if entry not in ("", runner_dir, work)]
    sys.path.extend(site_dirs())
    sys.path.append(work)


def run_as_main(code, path):
    """Runs compiled `code` as a fresh __main__ module from `path`; returns the exit status Python itself
    would have (SystemExit's code, its message printed; 1 with the traceback for an uncaught error)."""
    sys.argv = [os.path.basename(path)]
    module = type(sys)("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return (exit.code or 0) & 0xFF
        sys.stderr.write(str(exit.code) + "\n")
        return 1
    except BaseException as err:  # the script's own uncaught error: print it without our frame
        import traceback

        traceback.print_exception(type(err), err, err.__traceback__.tb_next)
        return 1
    return 0
