/**
 * C++: functions, methods (`ns::Class::method`), constructors, destructors, operators, templates and
 * lambdas with block bodies get an RAII guard after the body's `{` whose destructor emits `error` when an
 * exception unwinds the frame, else `exit`. A function-try-block's guard sits in its try block, so an
 * exception its handler swallows still reports `error`. `std::exit` skips destructors (no `exit` event).
 */
import type { LanguageSupport } from '../language.js';
import { isCTestFile, makeCSupport } from './c-emit.js';

export const support: LanguageSupport = makeCSupport(
  'cpp',
  ['.cc', '.cpp', '.cxx', '.c++', '.hh', '.hpp', '.hxx', '.h++', '.ipp', '.tcc'],
  isCTestFile,
);
