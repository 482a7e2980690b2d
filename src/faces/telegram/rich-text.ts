/**
 * A Telegram message as styled runs of plain text, turned into HTML (parse mode HTML) only when sent.
 * Keeping the plain text until then lets the splitter measure length the way Telegram does, "after
 * entities parsing" (tags gone, `&amp;` one character), and never cut inside a tag or an entity.
 */

/** Telegram's longest message text and media caption, counted after entities parsing. */
export const MESSAGE_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;

export interface Run {
  style: 'plain' | 'bold' | 'pre';
  text: string;
}

export type RichText = Run[];

/**
 * Length as Telegram counts it. JavaScript's length is UTF-16 code units, never fewer than the characters
 * Telegram counts, so a text within the limit here is within it there.
 */
export function plainLength(text: RichText): number {
  return text.reduce((sum, run) => sum + run.text.length, 0);
}

/** The three characters parse mode HTML needs escaped in text and inside <pre>. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toHtml(text: RichText): string {
  return text
    .map((run) => {
      const escaped = escapeHtml(run.text);
      if (run.style === 'bold') return `<b>${escaped}</b>`;
      if (run.style === 'pre') return `<pre>${escaped}</pre>`;
      return escaped;
    })
    .join('');
}
