/**
 * TypeScript (.ts, .mts, .cts, .tsx): tree-sitter's typescript grammar (tsx for .tsx); the shared analysis,
 * edits and runtime are in js-common.ts / js-analysis.ts / js-runtime.ts. Type annotations are untouched
 * (the edits only add statements inside bodies), so a file that type-checked still does: the binding is
 * `import * as __sbx from "…/scriptbox-telemetry.cjs"`, typed by scriptbox-telemetry.d.cts beside it.
 * Overload signatures, `declare`d functions and abstract methods have no body and are skipped with that
 * reason; declaration files (.d.ts) have nothing to instrument.
 */
import type { LanguageSupport } from '../language.js';
import { analyzeJs } from './js-analysis.js';
import { isJsTestFile, jsInsertion, jsPrelude, jsRuntimeFiles } from './js-common.js';
import { JS_MARKER } from './js-runtime.js';

const DECLARATION_FILE = /\.d\.[cm]?ts$/;

export const support: LanguageSupport = {
  language: 'typescript',
  extensions: ['.ts', '.mts', '.cts', '.tsx'],
  grammar: 'typescript',
  grammarFor: (relPath) => (relPath.endsWith('.tsx') ? 'tsx' : 'typescript'),
  isTestFile: isJsTestFile,
  analyze: (root, source, relPath) => {
    const analysis = analyzeJs('typescript', root, source, relPath);
    if (DECLARATION_FILE.test(relPath))
      for (const fn of analysis.functions) fn.skip = 'declaration file (.d.ts): nothing runs';
    return analysis;
  },
  insertion: (fn, file) => jsInsertion(fn, file, true),
  prelude: (file, instrumented) => jsPrelude(file, instrumented, true),
  runtimeFiles: (files) => jsRuntimeFiles(files, true),
  marker: JS_MARKER,
  plainAnalysis: true,
};
