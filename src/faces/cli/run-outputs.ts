/**
 * How `scriptbox run` shows a run's rich outputs (RunResult.outputs) without --json: text forms follow the
 * script's stdout; images (matplotlib figures...) are written to --out-dir as output-<n>.png / .svg, or
 * counted with a hint, since a terminal cannot show them. --json carries every output as it is.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputItem, RunResult } from '../../engine/result.js';
import { plural } from '../../text.js';
import { writeUntrusted } from './terminal-safe.js';

const IMAGE_FORMS = [
  { mime: 'image/png', extension: 'png', decode: (data: string) => Buffer.from(data, 'base64') },
  { mime: 'image/svg+xml', extension: 'svg', decode: (data: string) => Buffer.from(data, 'utf8') },
] as const;

/** The text an output shows on a terminal: its text/plain, else its JSON, else a pointer to --json. */
function textOf(item: OutputItem): string {
  const { data } = item;
  if (data['text/plain'] !== undefined) return data['text/plain'];
  if (data['application/json'] !== undefined) return JSON.stringify(data['application/json'], null, 2);
  return '(an HTML output: --json has it)';
}

/**
 * Prints the text outputs on stdout (after the script's own output) and saves or counts the images;
 * returns the lines to say on stderr about the images (none when there are none).
 */
export async function showOutputs(
  result: RunResult,
  raw: boolean,
  outDir: string | undefined,
): Promise<string[]> {
  const images: Array<{ index: number; form: (typeof IMAGE_FORMS)[number]; data: string }> = [];
  let text = '';
  result.outputs.forEach((item, index) => {
    const form = IMAGE_FORMS.find((candidate) => item.data[candidate.mime] !== undefined);
    const data = form && item.data[form.mime];
    if (form && typeof data === 'string') images.push({ index, form, data });
    else text += textOf(item).replace(/\n?$/, '\n');
  });
  if (text !== '') {
    const newline = result.stdout === '' || result.stdout.endsWith('\n') ? '' : '\n';
    await writeUntrusted(process.stdout, newline + text, raw);
  }
  if (images.length === 0) return [];
  if (outDir === undefined) {
    const these = images.length === 1 ? 'it' : 'them';
    return [`${plural(images.length, 'image')} (use --json or --out-dir to get ${these})`];
  }
  const written: string[] = [];
  const lines: string[] = [];
  for (const { index, form, data } of images) {
    const name = `output-${index + 1}.${form.extension}`;
    const problem = await writeImage(join(outDir, name), form.decode(data));
    if (problem === null) written.push(name);
    else lines.push(`image ${name} not written: ${problem}`);
  }
  if (written.length > 0)
    lines.unshift(`wrote ${plural(written.length, 'image')} to ${outDir}: ${written.join(', ')}`);
  return lines;
}

/** Writes (or overwrites) a regular file, never through a symlink; null when written, else why not. */
async function writeImage(path: string, bytes: Buffer): Promise<string | null> {
  // O_NONBLOCK: a FIFO in the way fails (ENXIO) rather than waiting for a reader.
  const flags =
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  try {
    const fh = await open(path, flags, 0o644);
    try {
      if (!(await fh.stat()).isFile()) return 'a file of another kind is in the way';
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
    return null;
  } catch (err) {
    return err instanceof Error && 'code' in err ? String(err.code) : String(err);
  }
}
