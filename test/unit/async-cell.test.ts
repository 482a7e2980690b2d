import { describe, expect, it } from 'vitest';
import { globalizeAsyncCell } from '../../src/sandbox/runtimes/async-cell.js';

describe('globalizeAsyncCell (a stateful JavaScript cell with a top-level await)', () => {
  it('turns top-level declarations into assignments, keeping every line where it was', () => {
    const cell = 'const x = await f();\nlet {a, b: [c]} = o, d;\nfunction g() {}\nclass K {}';
    expect(globalizeAsyncCell(cell)).toBe(
      'void (x = await f());\nvoid (({a, b: [c]} = o), d = undefined);\ng = function g() {};\nK = class K {};',
    );
  });

  it('leaves declarations inside functions and blocks alone, and cells without a top-level await', () => {
    expect(globalizeAsyncCell('const x = 1')).toBeNull();
    expect(globalizeAsyncCell('async function f() { const y = await 1; return y }')).toBeNull();
    expect(globalizeAsyncCell('for await (const v of it) log(v)')).toBe('for await (const v of it) log(v)');
    expect(globalizeAsyncCell('{ let z = await 1 }')).toBe('{ let z = await 1 }');
  });

  it('returns null for what does not parse (the holder reports the error)', () => {
    expect(globalizeAsyncCell('const = await')).toBeNull();
  });
});
