/**
 * Shared by the chat engine's integration tests: the tables a user sends (as CSV bytes), what an analysis
 * must answer for them (its presentation of the direct engine's result, and the script the template
 * renders), and small helpers to send messages and pick replies apart.
 */
import { expect } from 'vitest';
import type { ChatEngine, ChatProgress, ChatReply } from '../../src/workflows/chat/types.js';
import type { TemplateRegistry } from '../../src/generate/registry.js';
import { findAnalysis } from '../../src/workflows/analysis/analyses/index.js';
import { tableToCsv } from '../../src/workflows/analysis/canonical-csv.js';
import { readDataset } from '../../src/workflows/analysis/dataset.js';
import type { Block } from '../../src/workflows/analysis/spec.js';
import { flowers, housing } from './analysis/datasets.js';

export const HOUSING_CSV = Buffer.from(tableToCsv(housing()));
export const FLOWERS_CSV = Buffer.from(tableToCsv(flowers()));

export const USAGE_LINE = /^ran in \d+ ms · CPU \d+ ms( · peak memory \d+(\.\d+)? MB)?$/;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface Said {
  replies: ChatReply[];
  progress: ChatProgress[];
}

/** Sends a text message and returns the replies and the progress reported on the way. */
export async function say(chat: ChatEngine, conversation: string, text: string): Promise<Said> {
  const progress: ChatProgress[] = [];
  const replies = await chat.handle(
    conversation,
    { kind: 'text', text },
    { onProgress: (p) => progress.push(p) },
  );
  return { replies, progress };
}

export async function send(
  chat: ChatEngine,
  conversation: string,
  name: string,
  bytes: Uint8Array,
): Promise<Said> {
  const progress: ChatProgress[] = [];
  const replies = await chat.handle(
    conversation,
    { kind: 'file', name, bytes },
    { onProgress: (p) => progress.push(p) },
  );
  return { replies, progress };
}

export function blocks(replies: ChatReply[]): Block[] {
  return replies.filter((reply): reply is Block => reply.kind === 'text' || reply.kind === 'table');
}

/** All the text of the replies (text blocks, table titles and cells), to search in. */
export function allText(replies: ChatReply[]): string {
  return blocks(replies)
    .map((block) =>
      block.kind === 'text'
        ? block.text
        : [block.title ?? '', block.columns.join(' '), ...block.rows.map((r) => r.join(' '))].join('\n'),
    )
    .join('\n');
}

export function images(replies: ChatReply[]): Extract<ChatReply, { kind: 'image' }>[] {
  return replies.filter((reply) => reply.kind === 'image');
}

export function documents(replies: ChatReply[]): Extract<ChatReply, { kind: 'document' }>[] {
  return replies.filter((reply) => reply.kind === 'document');
}

export function isPng(bytes: Uint8Array): boolean {
  return PNG_MAGIC.every((byte, index) => bytes[index] === byte);
}

export interface ExpectedAnalysis {
  /** spec.present of the direct engine's result: what the chat must show for the script's result. */
  blocks: Block[];
  /** The script the template renders for these parameters. */
  source: string;
  fileName: string;
  params: Record<string, unknown>;
}

/** What `analysis` on `columns` of the file `name` must answer, computed without the chat or a sandbox. */
export async function expectedAnalysis(
  registry: TemplateRegistry,
  analysis: string,
  columns: string[],
  name: string,
  bytes: Uint8Array,
): Promise<ExpectedAnalysis> {
  const spec = findAnalysis(analysis);
  if (!spec) throw new Error(`no analysis ${analysis} is installed`);
  const dataset = await readDataset(name, bytes);
  const params = registry.resolveParams(spec.templateId, {
    ...spec.paramsFromColumns(columns, dataset.table),
    file: dataset.fileName,
  });
  const rendered = registry.render(spec.templateId, params);
  return {
    blocks: spec.present(spec.direct(dataset.table, params)),
    source: rendered.source,
    fileName: rendered.fileName,
    params,
  };
}

/** The replies of an analysis: its blocks equal the expected ones, then charts, then the usage line. */
export function expectAnalysisReplies(
  replies: ChatReply[],
  expected: ExpectedAnalysis,
  charts: number,
): void {
  const shown = blocks(replies);
  expect(shown.slice(0, -1)).toEqual(expected.blocks);
  const usage = shown.at(-1);
  expect(usage?.kind === 'text' ? usage.text : '').toMatch(USAGE_LINE);
  const pictures = images(replies);
  expect(pictures).toHaveLength(charts);
  for (const picture of pictures) expect(isPng(picture.bytes)).toBe(true);
}
