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


def run_as_main(code, path, on_error=None, args=()):
    """Runs compiled `code` as a fresh __main__ module from `path`; returns the exit status Python itself
    would have (SystemExit's code, its message printed; 1 with the traceback for an uncaught error, which
    is then passed to `on_error` when given)."""
    sys.argv = [os.path.basename(path), *args]
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
        if on_error is not None:
            on_error(err)
        return 1
    return 0


# ---- Rich display: the runner -> host channel ----------------------------------------------------------
# A run's display items and its uncaught error go to `.scriptbox-run/outputs.jsonl` in the work dir, one
# JSON object a line: {"type": "display" | "result", "data": <mime bundle>} or {"type": "error", "name",
# "value", "traceback"}. The host reads the file after the run like any file the script could have forged
# (src/sandbox/display.ts): a script that writes it only changes its own result.
# Matplotlib draws through our backend (scriptbox_display.py): pyplot.show() emits each open figure as an
# image/png item and closes it; emit_figures() does the same for figures still open when the run ends.
# `display(obj, ...)` is a builtin, as in Jupyter: each object becomes a display item (display_value).
# Nothing here imports matplotlib, json or traceback until it is needed: a run that never plots pays
# nothing for it.

RUN_DIR = ".scriptbox-run"
OUTPUTS_FILE = "outputs.jsonl"
BACKEND = "module://scriptbox_display"
_BACKEND_MODULE = "scriptbox_display"
_RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))
# Set by prepare_display: where emit() appends (absolute: a script may chdir), and MPLBACKEND as the
# runner found it (a different value when matplotlib is imported means the script chose one).
_channel = {"path": None, "default_backend": None}


def prepare_display(work_dir):
    """Clears `.scriptbox-run/` in `work_dir` (whatever an earlier run left at that name; emit() makes it
    again with the first item, so a run that shows nothing leaves no trace in its work dir), points emit()
    at its outputs.jsonl, routes matplotlib to our backend and installs the `display` builtin. Never
    raises: when the old channel cannot be cleared the run goes without rich outputs (returns False)."""
    import builtins

    _channel["default_backend"] = os.environ.get("MPLBACKEND")
    _install_finder()
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:  # preloaded: it read MPLBACKEND already
        _use_backend(matplotlib, force=True)
    if not hasattr(builtins, "display"):
        builtins.display = display
    run_dir = os.path.join(os.path.abspath(work_dir), RUN_DIR)
    _channel["path"] = None
    try:
        _remove(run_dir)
    except OSError as err:
        sys.stderr.write("scriptbox: no rich outputs for this run (%s: %s)\n" % (RUN_DIR, err.strerror))
        return False
    _channel["path"] = os.path.join(run_dir, OUTPUTS_FILE)
    return True


def _remove(path):
    """Removes whatever is at `path` without following a link (rmtree never follows them either)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    import stat

    if stat.S_ISDIR(st.st_mode):
        import shutil

        shutil.rmtree(path)
    else:
        os.unlink(path)


def emit(item):
    """Appends `item` (a dict) as one JSON line to the run's outputs.jsonl: one O_APPEND write per item,
    so items from threads or forked children never interleave. Without a channel it does nothing."""
    path = _channel["path"]
    if path is None:
        return
    import json

    try:
        text = json.dumps(item, ensure_ascii=False, allow_nan=False, default=repr)
    except (TypeError, ValueError) as err:
        sys.stderr.write("scriptbox: a display item was lost (%s)\n" % err)
        return
    # A lone surrogate (only ever inside a JSON string) becomes its \uXXXX escape: still valid JSON.
    line = (text + "\n").encode("utf-8", "backslashreplace")
    try:
        os.mkdir(os.path.dirname(path), 0o700)
    except OSError:
        pass  # there already; or the open below says why not
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as err:
        sys.stderr.write("scriptbox: a display item was lost (%s)\n" % err.strerror)
        return
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as err:
        sys.stderr.write("scriptbox: a display item was lost (%s)\n" % err.strerror)
    finally:
        os.close(fd)


def display(*objs):
    """Shows each object as a rich display item (Jupyter's display()): tables as HTML and text, images..."""
    for obj in objs:
        emit({"type": "display", "data": display_value(obj)})


def figure_bundle(figure):
    """A matplotlib figure as a mime bundle: the PNG (as Jupyter's inline backend draws it) and its repr."""
    import base64
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": repr(figure)}


def emit_figure(figure):
    """Emits one figure as an image/png display item; a figure that fails to draw is said on stderr."""
    try:
        bundle = figure_bundle(figure)
    except Exception as err:  # the script's figure, its error: the run goes on, as Jupyter's does
        sys.stderr.write("scriptbox: a figure could not be drawn: %s: %s\n" % (type(err).__name__, err))
        return
    emit({"type": "display", "data": bundle})


def emit_figures():
    """Emits every figure pyplot still has open, in the order they were made, and closes them. Only when
    the script imported pyplot: this never imports matplotlib itself."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        from matplotlib._pylab_helpers import Gcf

        managers = Gcf.get_all_fig_managers()
    except Exception:
        return
    for manager in managers:
        emit_figure(manager.canvas.figure)
    try:
        pyplot.close("all")
    except Exception:
        pass


# The IPython formatter methods we read, and the mime type each gives (Jupyter's own names).
_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("image/png", "_repr_png_"),
    ("image/svg+xml", "_repr_svg_"),
    ("application/json", "_repr_json_"),
)


def display_value(value):
    """A value as a Jupyter mime bundle: what its _repr_html_/_repr_png_/_repr_svg_/_repr_json_ give (as
    IPython's formatter reads them; a method that fails or returns None gives nothing), a matplotlib
    figure as PNG, and always text/plain (its repr)."""
    bundle = {}
    if not isinstance(value, type):  # a class has the methods, unbound: IPython skips them too
        for mime, method_name in _REPR_METHODS:
            data = _call_repr(value, method_name)
            if data is None:
                continue
            converted = _as_mime_data(mime, data)
            if converted is not None:
                bundle[mime] = converted
        if "image/png" not in bundle and _is_figure(value):
            try:
                bundle.update(figure_bundle(value))
            except Exception:
                pass
    try:
        bundle["text/plain"] = repr(value)
    except Exception as err:
        bundle["text/plain"] = "<%s object (repr failed: %s)>" % (type(value).__name__, type(err).__name__)
    return bundle


def _call_repr(value, method_name):
    try:
        method = getattr(value, method_name, None)
        if not callable(method):
            return None
        data = method()
    except Exception:
        return None
    if isinstance(data, tuple) and len(data) == 2:  # (data, metadata), as IPython allows
        data = data[0]
    return data


def _as_mime_data(mime, data):
    """`data` as the bundle holds it (text; PNG as base64; JSON as a value), or None when it is not."""
    if mime == "image/png":
        if isinstance(data, str):  # already base64, as some libraries return it
            return data
        if isinstance(data, (bytes, bytearray)):
            import base64

            return base64.b64encode(bytes(data)).decode("ascii")
        return None
    if mime == "application/json":
        import json

        if isinstance(data, (str, bytes)):
            try:
                return json.loads(data)
            except ValueError:
                return None
        try:
            json.dumps(data, allow_nan=False)
        except (TypeError, ValueError):
            return None
        return data
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data if isinstance(data, str) else None


def _is_figure(value):
    figure_module = sys.modules.get("matplotlib.figure")
    return figure_module is not None and isinstance(value, figure_module.Figure)


def error_item(exc, filename):
    """The error item for `exc`, an exception the script raised: its type's name, its message, and the
    traceback Python would print for the script alone: frames from the first one in `filename` (the
    script's file name as compiled, or `<cell>`) onwards, none of the runner's."""
    import traceback

    tb = exc.__traceback__
    first_user = tb
    while first_user is not None and first_user.tb_frame.f_code.co_filename != filename:
        first_user = first_user.tb_next
    if first_user is None:  # raised before the script's code ran: drop the runner's frames alone
        first_user = tb
        while first_user is not None and _is_runner_frame(first_user.tb_frame):
            first_user = first_user.tb_next
    try:
        value = str(exc)
    except Exception:
        value = "<exception str() failed>"
    lines = traceback.format_exception(type(exc), exc, first_user)
    return {"type": "error", "name": type(exc).__name__, "value": value, "traceback": "".join(lines)}


def _is_runner_frame(frame):
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _RUNNER_DIR


# ---- How `module://scriptbox_display` is found without putting the runner's dir on the module path ----


class _RunnerFinder:
    """A meta path finder for two names only: `scriptbox_display` (our matplotlib backend, a file next to
    this one) and `matplotlib` itself, whose loader it wraps so that our backend is chosen right after
    matplotlib has read MPLBACKEND. The variable itself keeps the sandbox's default (Agg): a Python
    process the script starts has no runner dir and must not be told to load our backend."""

    def find_spec(self, name, path=None, target=None):
        if name == _BACKEND_MODULE:
            import importlib.util

            location = os.path.join(_RUNNER_DIR, _BACKEND_MODULE + ".py")
            return importlib.util.spec_from_file_location(name, location)
        if name != "matplotlib":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _ThenUseOurBackend(spec.loader)
                return spec
        return None


class _ThenUseOurBackend:
    """matplotlib's own loader; once the package has run, our backend becomes rcParams['backend']."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        module.__loader__ = module.__spec__.loader = self._loader
        _use_backend(module, force=False)


def _install_finder():
    if not any(isinstance(finder, _RunnerFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RunnerFinder())


def _use_backend(matplotlib, force):
    """Our backend, unless MPLBACKEND was changed since prepare_display (the script set another before it
    imported matplotlib); `force` (matplotlib preloaded before the run): ours regardless."""
    if not force and os.environ.get("MPLBACKEND") != _channel["default_backend"]:
        return
    try:
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None and getattr(pyplot, "_backend_mod", None) is not None:
            pyplot.switch_backend(BACKEND)
        else:
            matplotlib.rcParams["backend"] = BACKEND
    except Exception as err:  # matplotlib's own problem: plots still work, through Agg
        sys.stderr.write("scriptbox: figures will not be shown (%s: %s)\n" % (type(err).__name__, err))
