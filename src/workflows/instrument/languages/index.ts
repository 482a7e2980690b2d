/**
 * The registry of language modules. Each module exports `support: LanguageSupport`; add one import line
 * and one entry in SUPPORTS per language (keep both sorted by language name).
 */
import type { LanguageSupport } from '../language.js';
import type { InstrumentLanguage } from '../model.js';
import { support as c } from './c.js';
import { support as cpp } from './cpp.js';
import { support as go } from './go.js';
import { support as java } from './java.js';
import { support as javascript } from './javascript.js';
import { support as python } from './python.js';
import { support as ruby } from './ruby.js';
import { support as rust } from './rust.js';
import { support as typescript } from './typescript.js';

export const SUPPORTS: readonly LanguageSupport[] = [
  c,
  cpp,
  go,
  java,
  javascript,
  python,
  ruby,
  rust,
  typescript,
];

/** The module of `language`, or undefined when none is registered. */
export function supportFor(language: InstrumentLanguage): LanguageSupport | undefined {
  return SUPPORTS.find((support) => support.language === language);
}
