/**
 * The fake Bot API server's reading of parse mode HTML: the tags and entities Telegram documents, the
 * text that remains after parsing (what Telegram's length limits count), or the 400 description Telegram
 * gives for a text it cannot parse. Stricter than Telegram in one way: a `&` must start one of the
 * supported entities and a `>` must be escaped (Telegram passes stray ones through), so any missing
 * escape fails a test.
 */

/** Tags Telegram's parse mode HTML supports (https://core.telegram.org/bots/api#html-style). */
const TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'tg-emoji',
  'code',
  'pre',
  'blockquote',
]);

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

export class EntityParseError extends Error {
  constructor(detail: string) {
    super(`Bad Request: can't parse entities: ${detail}`);
  }
}

/** The plain text of `html`, or throws EntityParseError with Telegram's kind of description. */
export function parseTelegramHtml(html: string): string {
  const open: string[] = [];
  let text = '';
  let index = 0;
  while (index < html.length) {
    const char = html[index] ?? '';
    if (char === '&') {
      const match = /^&(?:#(\d+)|#x([0-9a-f]+)|([a-z]+));/i.exec(html.slice(index));
      const named = match?.[3] === undefined ? undefined : NAMED_ENTITIES[match[3].toLowerCase()];
      if (!match || (match[3] !== undefined && named === undefined)) {
        throw new EntityParseError(`unsupported entity at byte offset ${index}`);
      }
      const code = match[1] ? Number(match[1]) : match[2] ? parseInt(match[2], 16) : null;
      text += code === null ? named : String.fromCodePoint(code);
      index += match[0].length;
      continue;
    }
    if (char === '<') {
      const match = /^<(\/?)([a-z][a-z-]*)((?:\s+[a-z-]+(?:="[^"]*"|='[^']*')?)*)\s*>/i.exec(
        html.slice(index),
      );
      if (!match) throw new EntityParseError(`unsupported start tag at byte offset ${index}`);
      const [whole, closing, rawName] = match;
      const name = (rawName ?? '').toLowerCase();
      if (!TAGS.has(name)) {
        throw new EntityParseError(`Unsupported start tag "${name}" at byte offset ${index}`);
      }
      if (closing) {
        const expected = open.pop();
        if (expected !== name) {
          throw new EntityParseError(
            expected === undefined
              ? `Unexpected end tag at byte offset ${index}`
              : `Unmatched end tag at byte offset ${index}, expected "</${expected}>", found "</${name}>"`,
          );
        }
      } else {
        open.push(name);
      }
      index += whole.length;
      continue;
    }
    if (char === '>') throw new EntityParseError(`unescaped ">" at byte offset ${index}`);
    text += char;
    index += 1;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) {
    throw new EntityParseError(`Can't find end tag corresponding to start tag "${unclosed}"`);
  }
  return text;
}
