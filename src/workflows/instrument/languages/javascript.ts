/**
 * JavaScript (.js, .mjs, .cjs, .jsx): tree-sitter's javascript grammar; the shared analysis, edits and
 * runtime are in js-common.ts / js-analysis.ts / js-runtime.ts. A file binds the runtime with `import` when
 * it is an ES module (.mjs, its package's "type": "module", or its own import/export syntax) and with
 * `require` otherwise; both load the same scriptbox-telemetry.cjs at the output tree's root.
 */
import type { LanguageSupport } from '../language.js';
import { analyzeJs } from './js-analysis.js';
import { isJsTestFile, jsInsertion, jsPrelude, jsRuntimeFiles } from './js-common.js';
import { JS_MARKER } from './js-runtime.js';

export const support: LanguageSupport = {
  language: 'javascript',
  extensions: ['.js', '.mjs', '.cjs', '.jsx'],
  grammar: 'javascript',
  isTestFile: isJsTestFile,
  analyze: (root, source, relPath) => analyzeJs('javascript', root, source, relPath),
  insertion: (fn, file) => jsInsertion(fn, file, false),
  prelude: (file, instrumented) => jsPrelude(file, instrumented, false),
  runtimeFiles: (files) => jsRuntimeFiles(files, false),
  marker: JS_MARKER,
  plainAnalysis: true,
};
