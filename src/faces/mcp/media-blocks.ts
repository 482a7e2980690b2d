/**
 * A tool's images and files as MCP content blocks, so an agent sees the chart it asked for rather than
 * base64 inside JSON: images (PNG, JPEG, GIF, WebP) as `image` blocks, other files with their bytes as
 * embedded resources (text when they are text, else a base64 blob), and files that only have a download
 * URL as resource links.
 */
import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';
import { isTextMediaType } from '../../sandbox/media-types.js';
import type { ToolMedia } from '../../tools/media.js';

/** Where an embedded file says it comes from: `scriptbox://run/out/chart.csv`. */
export function mediaUri(name: string): string {
  return `scriptbox://run/${name.split('/').map(encodeURIComponent).join('/')}`;
}

/** UTF-8 text of `bytes`, or null when they are not valid UTF-8. */
function utf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function block(media: ToolMedia): ContentBlock | null {
  if (media.kind === 'image') return { type: 'image', data: media.base64, mimeType: media.mimeType };
  const uri = mediaUri(media.name);
  const { mimeType } = media;
  if (media.text !== undefined) return { type: 'resource', resource: { uri, mimeType, text: media.text } };
  if (media.base64 !== undefined) {
    const text = isTextMediaType(mimeType) ? utf8(Buffer.from(media.base64, 'base64')) : null;
    return {
      type: 'resource',
      resource: text === null ? { uri, mimeType, blob: media.base64 } : { uri, mimeType, text },
    };
  }
  // Only a link a client can follow on its own: an absolute URL (the HTTP API's are relative to it).
  if (media.url !== undefined && URL.canParse(media.url)) {
    return {
      type: 'resource_link',
      uri: media.url,
      name: media.name,
      mimeType,
      ...(media.bytes !== undefined ? { size: media.bytes } : {}),
    };
  }
  return null;
}

/** One block per medium that can be shown or linked, in order. */
export function mediaBlocks(media: readonly ToolMedia[]): ContentBlock[] {
  return media.map(block).filter((item): item is ContentBlock => item !== null);
}
