/**
 * The Python telemetry runtime, written as `scriptbox_telemetry.py` next to every instrumented file (stdlib
 * only, nothing to install). Each instrumented module binds it once with its prelude line and decorates its
 * functions with `@__sbx__.trace("qualname", defLine, shift[, nestedDefLines])`. The decorator
 *  - fixes the code object's line table (3.11+: every location, recursively through nested code objects;
 *    older Pythons: co_firstlineno only) so tracebacks inside functions show the user's original lines,
 *    and makes linecache hide the inserted lines so the shown source text and inspect.getsource match;
 *  - with SCRIPTBOX_TELEMETRY_FILE unset returns the function itself (no call overhead at all);
 *  - otherwise wraps it in a wrapper of the same kind (function, generator function, coroutine function,
 *    async generator function) that emits one enter and exactly one exit or error per call, whose
 *    `__globals__` is the module's own (doctest and `inspect` still see the function as the module's).
 * Lines are appended with one os.write on an O_APPEND descriptor: safe across threads, async tasks and
 * processes. Kept as a TypeScript string so the build needs no asset copy (scripts/copy-assets.mjs).
 */

/** The key the runtime registers under in sys.modules; also the files' idempotency marker. */
export const PYTHON_RUNTIME_KEY = 'scriptbox_telemetry_v1';
/** The runtime's file name, written into every directory holding an instrumented file. */
export const PYTHON_RUNTIME_FILE = 'scriptbox_telemetry.py';

export const PYTHON_RUNTIME = String.raw`# scriptbox_telemetry_v1: the telemetry runtime written by "scriptbox instrument" (stdlib only).
# Appends JSON lines {"ts","event","function","file","line","durationMs"} to $SCRIPTBOX_TELEMETRY_FILE;
# with the variable unset the decorators return the functions unwrapped. Do not edit: it is generated.
import functools as _functools
import json as _json
import linecache as _linecache
import os as _os
import re as _re
import sys as _sys
import threading as _threading
import time as _time
import types as _types

_PATH = _os.environ.get("SCRIPTBOX_TELEMETRY_FILE") or None
try:  # opt-in: log only the first N calls of each function (huge test suites); 0 = every call
    _MAX_CALLS = max(0, int(_os.environ.get("SCRIPTBOX_TELEMETRY_MAX_CALLS") or 0))
except ValueError:
    _MAX_CALLS = 0
_fd = -1
_lock = _threading.Lock()
_CO_GENERATOR, _CO_COROUTINE, _CO_ITERABLE_COROUTINE, _CO_ASYNC_GENERATOR = 0x20, 0x80, 0x100, 0x200


def _reset_after_fork():
    global _lock
    _lock = _threading.Lock()


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_reset_after_fork)


def _write(text):
    global _fd, _PATH
    try:
        if _fd < 0:
            with _lock:
                if _fd < 0:
                    flags = _os.O_WRONLY | _os.O_APPEND | _os.O_CREAT | getattr(_os, "O_CLOEXEC", 0)
                    _fd = _os.open(_PATH, flags, 0o666)
        _os.write(_fd, text.encode("utf-8"))
    except (OSError, TypeError, ValueError):
        _PATH = None  # telemetry must never break the program: stop writing


# ---- line numbers -------------------------------------------------------------------------------------
_fixed = {}  # id(code) -> code already fixed (kept alive so ids stay unique)


def _varint(table, i):
    b = table[i]
    i += 1
    value, shift = b & 63, 0
    while b & 64:
        b = table[i]
        i += 1
        shift += 6
        value |= (b & 63) << shift
    return value, i


def _put_varint(out, value):
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _put_svarint(out, value):
    _put_varint(out, (-value << 1) | 1 if value < 0 else value << 1)


def _relocate(table, first, remap):
    """Rewrites a 3.11+ location table (Objects/locations.md) with every line passed through remap."""
    out = bytearray()
    i, n = 0, len(table)
    line, mapped = first, remap(first)
    while i < n:
        head = table[i]
        i += 1
        code = (head >> 3) & 15
        if code == 15:  # no location
            out.append(head)
        elif code >= 13:  # 13: line only; 14: long form
            delta, i = _varint(table, i)
            line += -(delta >> 1) if delta & 1 else delta >> 1
            new = remap(line)
            out.append(head)
            _put_svarint(out, new - mapped)
            if code == 14:
                end, i = _varint(table, i)
                _put_varint(out, max(0, remap(line + end) - new))
                start = i
                _, i = _varint(table, i)
                _, i = _varint(table, i)
                out += table[start:i]
            mapped = new
        elif code >= 10:  # one-line forms: line delta 0..2, two column bytes
            line += code - 10
            new = remap(line)
            step = new - mapped
            col, end_col = table[i], table[i + 1]
            i += 2
            if 0 <= step <= 2:
                out.append((head & 0x87) | ((10 + step) << 3))
                out.append(col)
                out.append(end_col)
            else:
                out.append(0x80 | (14 << 3) | (head & 7))
                _put_svarint(out, step)
                _put_varint(out, 0)
                _put_varint(out, col + 1)
                _put_varint(out, end_col + 1)
            mapped = new
        else:  # short forms: same line, one column byte
            out.append(head)
            out.append(table[i])
            i += 1
    return bytes(out)


def _fix_code(code, remap, exact):
    if _fixed.get(id(code)) is code:
        return code
    consts = tuple(_fix_code(c, remap, exact) if type(c) is _types.CodeType else c for c in code.co_consts)
    first = code.co_firstlineno
    if exact:
        fixed = code.replace(
            co_firstlineno=remap(first), co_linetable=_relocate(code.co_linetable, first, remap), co_consts=consts
        )
    else:
        fixed = code.replace(co_firstlineno=remap(first), co_consts=consts)
    _fixed[id(fixed)] = fixed
    return fixed


def _fix_lines(fn, line, shift, nested):
    code = getattr(fn, "__code__", None)
    if type(code) is not _types.CodeType or _fixed.get(id(code)) is code:
        return
    # Inserted lines inside the function (its own decorator line and those of nested functions), as lines
    # of the instrumented file; shift - 1 inserted lines lie above its first line.
    inserted = [line + shift - 1] + [d + shift + j for j, d in enumerate(sorted(nested))]
    base = shift - 1

    def remap(n):
        return n - base - sum(1 for p in inserted if p < n)

    exact = _sys.version_info >= (3, 11)
    try:
        fn.__code__ = _fix_code(code, remap if exact else (lambda n: n - shift), exact)
    except (ValueError, TypeError):
        pass  # keep the shifted lines rather than fail


# linecache shows the user's original text: inserted lines are dropped from registered files.
_files = set()
_shown = {}
_INSERTED = _re.compile(r"[ \t]*(@__sbx__\.trace\(|__sbx__ = )")
_getlines = _linecache.getlines


def _original_lines(filename, module_globals=None):
    lines = _getlines(filename, module_globals)
    if filename not in _files or not lines:
        return lines
    seen = _shown.get(filename)
    if seen is None or seen[0] is not lines:
        seen = (lines, [text for text in lines if not _INSERTED.match(text)])
        _shown[filename] = seen
    return seen[1]


_linecache.getlines = _original_lines


# ---- wrappers -------------------------------------------------------------------------------------------
def _events(qualname, rel, line):
    tail = ',"function":%s,"file":%s,"line":%d' % (_json.dumps(qualname), _json.dumps(rel), line)
    enter_tail = ',"event":"enter"' + tail + "}\n"
    exit_tail = ',"event":"exit"' + tail + ',"durationMs":'
    error_tail = ',"event":"error"' + tail + ',"durationMs":'
    now, clock = _time.time, _time.perf_counter
    calls = [0]

    # enter() returns the start time, or None when this call is not logged (then neither is its end).
    def enter():
        if _PATH is None:
            return None
        if _MAX_CALLS:
            calls[0] += 1
            if calls[0] > _MAX_CALLS:
                return None
        _write('{"ts":%.3f%s' % (now() * 1000.0, enter_tail))
        return clock()

    def leave(started):
        if started is not None:
            _write('{"ts":%.3f%s%.3f}\n' % (now() * 1000.0, exit_tail, (clock() - started) * 1000.0))

    def fail(started):
        if started is not None:
            _write('{"ts":%.3f%s%.3f}\n' % (now() * 1000.0, error_tail, (clock() - started) * 1000.0))

    return enter, leave, fail


def _plain(fn, enter, leave, fail, _BE=BaseException):
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        started = enter()
        try:
            result = fn(*args, **kwargs)
        except _BE:
            fail(started)
            raise
        leave(started)
        return result

    return wrapper


def _generator(fn, enter, leave, fail, _BE=BaseException, _GE=GeneratorExit):
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        started = enter()
        try:
            result = yield from fn(*args, **kwargs)
        except _GE:
            leave(started)
            raise
        except _BE:
            fail(started)
            raise
        leave(started)
        return result

    return wrapper


def _coroutine(fn, enter, leave, fail, _BE=BaseException):
    async def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        started = enter()
        try:
            result = await fn(*args, **kwargs)
        except _BE:
            fail(started)
            raise
        leave(started)
        return result

    return wrapper


def _async_generator(fn, enter, leave, fail, _BE=BaseException, _GE=GeneratorExit, _SAI=StopAsyncIteration):
    async def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        started = enter()
        try:
            inner = fn(*args, **kwargs)
            value = await inner.__anext__()
            while True:
                try:
                    sent = yield value
                except _GE:
                    await inner.aclose()
                    raise
                except _BE as thrown:
                    value = await inner.athrow(thrown)
                else:
                    value = await (inner.__anext__() if sent is None else inner.asend(sent))
        except _SAI:
            leave(started)
        except _GE:
            leave(started)
            raise
        except _BE:
            fail(started)
            raise

    return wrapper


def _wrap(fn, qualname, rel, line):
    flags = fn.__code__.co_flags
    if flags & _CO_ASYNC_GENERATOR:
        make = _async_generator
    elif flags & _CO_COROUTINE:
        make = _coroutine
    elif flags & _CO_GENERATOR:
        make = _generator
    else:
        make = _plain
    inner = make(fn, *_events(qualname, rel, line))
    # The module's globals (doctest and inspect ask whether a function belongs to its module); the wrapper
    # itself reads no globals but builtins' exception classes, passed in as defaults above.
    wrapper = _types.FunctionType(inner.__code__, fn.__globals__, fn.__name__, inner.__defaults__, inner.__closure__)
    wrapper = _functools.update_wrapper(wrapper, fn)
    if flags & _CO_ITERABLE_COROUTINE:
        wrapper = _types.coroutine(wrapper)
    return wrapper


class _File:
    __slots__ = ("rel",)

    def __init__(self, rel):
        self.rel = rel

    def trace(self, qualname, line, shift=0, nested=()):
        rel = self.rel

        def decorate(fn):
            _fix_lines(fn, line, shift, nested)
            if _PATH is None or not isinstance(fn, _types.FunctionType):
                return fn
            return _wrap(fn, qualname, rel, line)

        return decorate


def bind(filename, rel):
    """Called once by each instrumented module's prelude line."""
    _files.add(filename)
    return _File(rel)


if _PATH is not None:
    # A wrapped call takes two frames: keep the depth user code can reach.
    _sys.setrecursionlimit(max(_sys.getrecursionlimit(), 1000) * 2)
`;
