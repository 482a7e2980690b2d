import { UnknownRuntimeError } from '../../errors.js';
import type { RuntimeSpec } from './spec.js';

/** The runtimes an engine knows: built-ins, then configured ones (a configured name replaces a built-in). */
export class RuntimeRegistry {
  private readonly byName = new Map<string, RuntimeSpec>();

  constructor(specs: RuntimeSpec[]) {
    for (const spec of specs) this.byName.set(spec.name, spec);
  }

  list(): RuntimeSpec[] {
    return [...this.byName.values()];
  }

  /** By name or alias; throws with the list of known names. */
  resolve(language: string): RuntimeSpec {
    const wanted = language.toLowerCase();
    const found = this.list().find((spec) => spec.name === wanted || spec.aliases.includes(wanted));
    if (found) return found;
    throw new UnknownRuntimeError(
      `unknown language "${language}": use one of ${this.list()
        .map((spec) => spec.name)
        .join(', ')}`,
    );
  }

  /** By file extension (".py"), or undefined. */
  forExtension(extension: string): RuntimeSpec | undefined {
    const wanted = extension.toLowerCase();
    return this.list().find((spec) => spec.extensions.includes(wanted));
  }
}
