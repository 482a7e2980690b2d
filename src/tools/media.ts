/**
 * The images and files inside a tool's output, taken out of it: a face that can show them as what they
 * are (MCP image and resource blocks) sends them so, and the output it sends as JSON (and the default
 * text) goes without megabytes of base64 a model would read as text. Found by shape, wherever they sit in
 * an output (run_code's result, run_script's `result`, a batch's items):
 * - an out/ file with its content or a url: `{ path, bytes, content?, url?, mediaType? }` (RunResult.files);
 * - a rich output item's images: `{ type: 'display' | 'result', data: { 'image/png': base64, ... } }`;
 * - an analysis chart: `{ name, pngBase64 }` (analyze_table);
 * - an image read as base64: `{ name, bytes, encoding: 'base64', content }` (session_read_file).
 * Only optional fields are removed (content of out/ files, the image entries of a MIME bundle,
 * pngBase64), so what is left still validates against the tool's output schema.
 */
import { mediaTypeOf } from '../sandbox/media-types.js';

export type ToolMedia =
  /** An image to show: base64 bytes of a PNG, JPEG, GIF or WebP. */
  | { kind: 'image'; name: string; mimeType: string; base64: string }
  /** Any other file: its bytes (base64), its text (SVG from a MIME bundle), or only where to get it. */
  | {
      kind: 'file';
      name: string;
      mimeType: string;
      bytes?: number;
      base64?: string;
      text?: string;
      url?: string;
    };

/** The image types MCP clients and models take as images. */
export const SHOWN_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

const MAX_DEPTH = 32;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

/** `{ path, bytes, content?, url? }` with content or url: an out/ file as RunResult.files lists it. */
function fileMedia(value: Json): { media: ToolMedia; rest: Json } | null {
  const { path, bytes, content, url, mediaType } = value;
  if (!isString(path) || typeof bytes !== 'number' || !(isString(content) || isString(url))) return null;
  const mimeType = isString(mediaType) ? mediaType : mediaTypeOf(path);
  const rest = { ...value };
  delete rest['content'];
  const name = `out/${path}`;
  if (isString(content) && SHOWN_IMAGE_TYPES.has(mimeType))
    return { media: { kind: 'image', name, mimeType, base64: content }, rest };
  const media: ToolMedia = {
    kind: 'file',
    name,
    mimeType,
    bytes,
    ...(isString(content) ? { base64: content } : {}),
    ...(isString(url) ? { url } : {}),
  };
  return { media, rest };
}

/** The images (and SVG) of a rich output item's MIME bundle; the bundle keeps its other entries. */
function bundleMedia(value: Json, index: number): { media: ToolMedia[]; rest: Json } | null {
  const { type, data } = value;
  if ((type !== 'display' && type !== 'result') || !isObject(data)) return null;
  const media: ToolMedia[] = [];
  const kept: Json = {};
  for (const [mimeType, entry] of Object.entries(data)) {
    if (isString(entry) && SHOWN_IMAGE_TYPES.has(mimeType))
      media.push({ kind: 'image', name: `output ${index}`, mimeType, base64: entry });
    else if (isString(entry) && mimeType === 'image/svg+xml')
      media.push({ kind: 'file', name: `output-${index}.svg`, mimeType, text: entry });
    else kept[mimeType] = entry;
  }
  return media.length > 0 ? { media, rest: { ...value, data: kept } } : null;
}

/** `{ name, pngBase64 }`: an analysis chart. */
function chartMedia(value: Json): { media: ToolMedia; rest: Json } | null {
  const { name, pngBase64 } = value;
  if (!isString(name) || !isString(pngBase64)) return null;
  const rest = { ...value };
  delete rest['pngBase64'];
  return { media: { kind: 'image', name, mimeType: 'image/png', base64: pngBase64 }, rest };
}

/** `{ name, bytes, encoding: 'base64', content }` naming an image: shown, but kept (content is required). */
function readImageMedia(value: Json): ToolMedia | null {
  const { name, bytes, encoding, content } = value;
  if (!isString(name) || typeof bytes !== 'number' || encoding !== 'base64' || !isString(content))
    return null;
  const mimeType = mediaTypeOf(name);
  return SHOWN_IMAGE_TYPES.has(mimeType) ? { kind: 'image', name, mimeType, base64: content } : null;
}

/** The media of `output`, in the order they appear, and `output` without their bytes (a copy). */
export function splitMedia(output: unknown): { media: ToolMedia[]; rest: unknown } {
  const media: ToolMedia[] = [];
  let items = 0;
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
    if (!isObject(value)) return value;
    const file = fileMedia(value) ?? chartMedia(value);
    if (file) {
      media.push(file.media);
      return file.rest;
    }
    const bundle = bundleMedia(value, items);
    if (bundle) {
      items += 1;
      media.push(...bundle.media);
      return bundle.rest;
    }
    const read = readImageMedia(value);
    if (read) {
      media.push(read);
      return value;
    }
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, walk(field, depth + 1)]));
  };
  const rest = walk(output, 0);
  return { media, rest };
}
