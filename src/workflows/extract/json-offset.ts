/**
 * Where JSON text first goes wrong: a small scanner of the JSON grammar (RFC 8259) that returns the
 * offset of the first character that cannot continue a valid document. JSON.parse's messages do not say
 * where (V8 quotes the whole input instead), and records.ts wants "line 3 column 7".
 */

class Stop extends Error {
  constructor(readonly offset: number) {
    super(`not JSON at offset ${offset}`);
  }
}

/** Offset of the first error in `text`, or null when it is valid JSON. */
export function jsonErrorOffset(text: string): number | null {
  let at = 0;
  const fail = (): never => {
    throw new Stop(at);
  };
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] ?? '')) at++;
  };
  const literal = (word: string): void => {
    for (const ch of word) {
      if (text[at] !== ch) fail();
      at++;
    }
  };
  const string = (): void => {
    at++; // the opening quote
    for (;;) {
      const ch = text[at];
      if (ch === undefined || ch < ' ') fail();
      if (ch === '"') {
        at++;
        return;
      }
      if (ch === '\\') {
        at++;
        const escaped = text[at] ?? '';
        if (escaped === 'u') {
          for (let i = 1; i <= 4; i++) if (!/[0-9a-fA-F]/.test(text[at + i] ?? '')) fail();
          at += 5;
        } else if ('"\\/bfnrt'.includes(escaped) && escaped !== '') at++;
        else fail();
      } else at++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(at, at + 400));
    if (!match || match[0] === '' || match[0] === '-') fail();
    at += match?.[0].length ?? 0;
  };
  const value = (): void => {
    space();
    const ch = text[at];
    if (ch === '{') {
      at++;
      space();
      if (text[at] === '}') {
        at++;
        return;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail();
        string();
        space();
        if (text[at] !== ':') fail();
        at++;
        value();
        space();
        if (text[at] === ',') at++;
        else if (text[at] === '}') {
          at++;
          return;
        } else fail();
      }
    }
    if (ch === '[') {
      at++;
      space();
      if (text[at] === ']') {
        at++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[at] === ',') at++;
        else if (text[at] === ']') {
          at++;
          return;
        } else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    return number();
  };
  try {
    value();
    space();
    if (at < text.length) fail();
    return null;
  } catch (err) {
    if (err instanceof Stop) return err.offset;
    throw err;
  }
}
