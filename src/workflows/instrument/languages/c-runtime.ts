/**
 * The C and C++ telemetry runtime: one header-only file, `scriptbox_telemetry.h`, written at the root of the
 * instrumented tree and included (by a relative path) from every instrumented C/C++ file. In C a guard
 * variable with `__attribute__((cleanup))` emits `exit` on every return; in C++ an RAII guard emits `error`
 * when an exception unwinds its frame, else `exit`. On Linux it includes no system header (libc is reached
 * through asm labels), so the file's own feature-test macros and names are untouched.
 */

/** The header's file name (at the output tree root). */
export const C_RUNTIME_FILE = 'scriptbox_telemetry.h';

export const C_RUNTIME_HEADER = String.raw`
/* scriptbox telemetry runtime for C and C++, written by scriptbox instrument (removed by --remove).
 * Appends one JSON line per event to the file named by SCRIPTBOX_TELEMETRY_FILE (O_APPEND, one write(2)
 * per line: safe across threads and processes); unset, each call costs one relaxed load and a branch.
 * C: a guard variable with __attribute__((cleanup)) emits "exit" on every return (exit(), longjmp and
 * abort skip cleanups: no event). C++: an RAII guard emits "error" when its frame is unwound by an
 * exception (the ABI's count of uncaught exceptions grew since entry), else "exit". On Linux this header includes no
 * system header (libc is reached through asm labels), so it neither pollutes the namespace nor fixes the
 * feature-test macros before the file's own; elsewhere it falls back to the POSIX headers. */
#ifndef SCRIPTBOX_TELEMETRY_H
#define SCRIPTBOX_TELEMETRY_H
#pragma GCC system_header

#ifdef __cplusplus
#define SCRIPTBOX_TEL_FN inline
#define SCRIPTBOX_TEL_EXTERN extern "C"
#else
#define SCRIPTBOX_TEL_FN static __inline__
#define SCRIPTBOX_TEL_EXTERN extern
#endif

__extension__ typedef long long scriptbox_tel_i64;

struct scriptbox_tel_ts {
  long sec;
  long nsec;
};

#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
                           defined(__arm__) || defined(__riscv) || defined(__s390x__))
SCRIPTBOX_TEL_EXTERN char *scriptbox_tel_getenv(const char *) __asm__("getenv") __attribute__((nothrow));
SCRIPTBOX_TEL_EXTERN int scriptbox_tel_open(const char *, int, ...) __asm__("open") __attribute__((nothrow));
SCRIPTBOX_TEL_EXTERN int scriptbox_tel_close(int) __asm__("close") __attribute__((nothrow));
SCRIPTBOX_TEL_EXTERN long scriptbox_tel_write(int, const void *, unsigned long) __asm__("write")
    __attribute__((nothrow));
SCRIPTBOX_TEL_EXTERN int scriptbox_tel_clock_gettime(int, struct scriptbox_tel_ts *) __asm__("clock_gettime")
    __attribute__((nothrow));
SCRIPTBOX_TEL_EXTERN int *scriptbox_tel_errno(void) __asm__("__errno_location") __attribute__((nothrow));
#define SCRIPTBOX_TEL_OPEN_FLAGS (01 | 0100 | 02000 | 02000000) /* O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC */
#define SCRIPTBOX_TEL_REALTIME 0
#define SCRIPTBOX_TEL_MONOTONIC 1
#else
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
SCRIPTBOX_TEL_FN char *scriptbox_tel_getenv(const char *name) { return getenv(name); }
SCRIPTBOX_TEL_FN int scriptbox_tel_open(const char *path, int flags, int mode) { return open(path, flags, mode); }
SCRIPTBOX_TEL_FN int scriptbox_tel_close(int fd) { return close(fd); }
SCRIPTBOX_TEL_FN long scriptbox_tel_write(int fd, const void *b, unsigned long n) { return (long)write(fd, b, n); }
SCRIPTBOX_TEL_FN int scriptbox_tel_clock_gettime(int clock, struct scriptbox_tel_ts *ts) {
  struct timespec t;
  int r = clock_gettime(clock ? CLOCK_MONOTONIC : CLOCK_REALTIME, &t);
  ts->sec = (long)t.tv_sec;
  ts->nsec = (long)t.tv_nsec;
  return r;
}
SCRIPTBOX_TEL_FN int *scriptbox_tel_errno(void) { return &errno; }
#define SCRIPTBOX_TEL_OPEN_FLAGS (O_WRONLY | O_CREAT | O_APPEND)
#define SCRIPTBOX_TEL_REALTIME 0
#define SCRIPTBOX_TEL_MONOTONIC 1
#endif

/* 0: not read yet; 1: off; fd + 2: on. Weak, so every translation unit shares one descriptor. */
__attribute__((weak)) int scriptbox_tel_state = 0;

struct scriptbox_tel_guard {
  const char *fn;
  const char *file;
  int line;
  int fd;
  scriptbox_tel_i64 t0;
};

SCRIPTBOX_TEL_FN int scriptbox_tel_init(void) {
  int saved = *scriptbox_tel_errno();
  const char *path = scriptbox_tel_getenv("SCRIPTBOX_TELEMETRY_FILE");
  int state = 1, expected = 0;
  if (path != 0 && path[0] != 0) {
    int fd = scriptbox_tel_open(path, SCRIPTBOX_TEL_OPEN_FLAGS, 0644);
    if (fd >= 0) state = fd + 2;
  }
  if (!__atomic_compare_exchange_n(&scriptbox_tel_state, &expected, state, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    if (state > 1) scriptbox_tel_close(state - 2);
    state = expected;
  }
  *scriptbox_tel_errno() = saved;
  return state;
}

SCRIPTBOX_TEL_FN scriptbox_tel_i64 scriptbox_tel_ns(int clock) {
  struct scriptbox_tel_ts ts = {0, 0};
  scriptbox_tel_clock_gettime(clock, &ts);
  return ((scriptbox_tel_i64)ts.sec) * 1000000000 + ts.nsec;
}

SCRIPTBOX_TEL_FN char *scriptbox_tel_put(char *at, char *end, const char *text) {
  while (*text != 0 && at < end) *at++ = *text++;
  return at;
}

/* Writes ns as milliseconds with three decimals. */
SCRIPTBOX_TEL_FN char *scriptbox_tel_ms(char *at, scriptbox_tel_i64 ns) {
  char digits[24];
  int n = 0, i;
  scriptbox_tel_i64 us = ns < 0 ? 0 : ns / 1000;
  do {
    digits[n++] = (char)('0' + us % 10);
    us /= 10;
  } while (us > 0 || n < 4);
  for (i = n - 1; i >= 0; i--) {
    *at++ = digits[i];
    if (i == 3) *at++ = '.';
  }
  return at;
}

SCRIPTBOX_TEL_FN void scriptbox_tel_emit(const struct scriptbox_tel_guard *g, const char *event,
                                         scriptbox_tel_i64 duration) {
  char line[2048];
  char *at = line, *end = line + sizeof line - 96;
  char num[12];
  int n = 0, value = g->line < 0 ? 0 : g->line, saved = *scriptbox_tel_errno();
  at = scriptbox_tel_put(at, end, "{\"ts\":");
  at = scriptbox_tel_ms(at, scriptbox_tel_ns(SCRIPTBOX_TEL_REALTIME));
  at = scriptbox_tel_put(at, end, ",\"event\":\"");
  at = scriptbox_tel_put(at, end, event);
  at = scriptbox_tel_put(at, end, "\",\"function\":\"");
  at = scriptbox_tel_put(at, line + 1024, g->fn);
  at = scriptbox_tel_put(at, end, "\",\"file\":\"");
  at = scriptbox_tel_put(at, end, g->file);
  at = scriptbox_tel_put(at, line + sizeof line - 64, "\",\"line\":");
  do {
    num[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (n > 0) *at++ = num[--n];
  if (duration >= 0) {
    at = scriptbox_tel_put(at, line + sizeof line - 40, ",\"durationMs\":");
    at = scriptbox_tel_ms(at, duration);
  }
  *at++ = '}';
  *at++ = '\n';
  scriptbox_tel_write(g->fd, line, (unsigned long)(at - line));
  *scriptbox_tel_errno() = saved;
}

SCRIPTBOX_TEL_FN struct scriptbox_tel_guard scriptbox_tel_enter(const char *fn, const char *file, int line) {
  struct scriptbox_tel_guard g;
  int state = __atomic_load_n(&scriptbox_tel_state, __ATOMIC_ACQUIRE);
  if (__builtin_expect(state == 0, 0)) state = scriptbox_tel_init();
  g.fn = fn;
  g.file = file;
  g.line = line;
  g.fd = state - 2;
  g.t0 = 0;
  if (g.fd >= 0) {
    g.t0 = scriptbox_tel_ns(SCRIPTBOX_TEL_MONOTONIC);
    scriptbox_tel_emit(&g, "enter", -1);
  }
  return g;
}

SCRIPTBOX_TEL_FN void scriptbox_tel_finish(const struct scriptbox_tel_guard *g, const char *event) {
  if (g->fd >= 0) scriptbox_tel_emit(g, event, scriptbox_tel_ns(SCRIPTBOX_TEL_MONOTONIC) - g->t0);
}

/* The cleanup function of the C guard: runs on every way out of the scope but exit/longjmp/abort. */
SCRIPTBOX_TEL_FN void scriptbox_tel_leave(struct scriptbox_tel_guard *g) { scriptbox_tel_finish(g, "exit"); }

#define SCRIPTBOX_TEL_CAT2(a, b) a##b
#define SCRIPTBOX_TEL_CAT(a, b) SCRIPTBOX_TEL_CAT2(a, b)

#ifdef __cplusplus
#if defined(__linux__)
/* The Itanium C++ ABI's per-thread exception globals (libstdc++ and libc++abi alike). */
struct scriptbox_tel_eh_globals {
  void *caught;
  unsigned int uncaught;
};
extern "C" scriptbox_tel_eh_globals *scriptbox_tel_eh(void) __asm__("__cxa_get_globals") __attribute__((nothrow));
inline unsigned int scriptbox_tel_uncaught(void) { return scriptbox_tel_eh()->uncaught; }
#else
#include <exception>
inline unsigned int scriptbox_tel_uncaught(void) {
#if defined(__cpp_lib_uncaught_exceptions)
  return (unsigned int)std::uncaught_exceptions();
#else
  return std::uncaught_exception() ? 1u : 0u;
#endif
}
#endif
namespace scriptbox_tel {
/* RAII: "error" when the destructor runs because an exception unwinds this frame, else "exit". */
class guard {
 public:
  guard(const char *fn, const char *file, int line)
      : g_(scriptbox_tel_enter(fn, file, line)), uncaught_(g_.fd >= 0 ? scriptbox_tel_uncaught() : 0u) {}
  ~guard() {
    if (g_.fd >= 0) scriptbox_tel_finish(&g_, scriptbox_tel_uncaught() > uncaught_ ? "error" : "exit");
  }

 private:
  guard(const guard &);
  guard &operator=(const guard &);
  struct scriptbox_tel_guard g_;
  unsigned int uncaught_;
};
} /* namespace scriptbox_tel */
/* SCRIPTBOX_TELEMETRY(depth, "function", "file", line): depth names the guard (nested lambdas do not shadow). */
#define SCRIPTBOX_TELEMETRY(depth, fn, file, line) \
  ::scriptbox_tel::guard SCRIPTBOX_TEL_CAT(scriptbox_tel_g, depth)(fn, file, line)
#else
#define SCRIPTBOX_TELEMETRY(depth, fn, file, line)                                                    \
  struct scriptbox_tel_guard SCRIPTBOX_TEL_CAT(scriptbox_tel_g, depth)                                \
      __attribute__((cleanup(scriptbox_tel_leave), unused)) = scriptbox_tel_enter(fn, file, line)
#endif

#endif /* SCRIPTBOX_TELEMETRY_H */
`.trimStart();
