/** Getting hold of the error a call throws, to assert its code and data. */
import { ScriptboxError } from '../../src/errors.js';

/** The ScriptboxError `fn` throws; fails the test when it throws nothing or something else. */
export function thrownScriptboxError(fn: () => unknown): ScriptboxError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScriptboxError) return err;
    throw err;
  }
  throw new Error('expected a ScriptboxError');
}
