/**
 * C: functions (static, K&R, GNU nested functions) get a cleanup-attribute guard after the body's `{`
 * (gcc and clang; `exit()`, `longjmp` and `abort` skip cleanups, so a frame left that way emits no
 * `exit`); the runtime is `scriptbox_telemetry.h` at the tree root. `.h` files are read with the C grammar
 * (C++ code in a `.h` file that the C grammar cannot read is skipped).
 */
import type { LanguageSupport } from '../language.js';
import { isCTestFile, makeCSupport } from './c-emit.js';

export const support: LanguageSupport = makeCSupport('c', ['.c', '.h'], isCTestFile);
