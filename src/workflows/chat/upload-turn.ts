/**
 * A file sent to the chat: read as a table (CSV, TSV, xlsx), kept as the conversation's dataset (it
 * replaces the previous one; the session gets it before its next run) and answered with its preview and
 * examples that use its columns. A file that cannot be read is answered with what to fix.
 */
import { InvalidDatasetError } from '../../errors.js';
import { readDataset } from '../analysis/dataset.js';
import { previewBlocks } from '../analysis/dataset-preview.js';
import { datasetExample } from './help.js';
import { progress, text, type Turn } from './turn.js';
import type { ChatReply } from './types.js';

const EXAMPLES_SHOWN = 4;

/** `loaded`: whether the file became the dataset. */
export async function uploadTurn(
  turn: Turn,
  name: string,
  bytes: Uint8Array,
): Promise<{ loaded: boolean; replies: ChatReply[] }> {
  progress(turn, 'reading', `reading ${name}`);
  let dataset;
  try {
    dataset = await readDataset(name, bytes, { maxBytes: turn.chat.maxDatasetBytes });
  } catch (err) {
    if (!(err instanceof InvalidDatasetError)) throw err;
    const kept = turn.conversation.dataset
      ? ` I kept your earlier data (${turn.conversation.dataset.sourceName}).`
      : '';
    return { loaded: false, replies: [text(`I could not read ${name}: ${err.message}${kept}`)] };
  }
  turn.conversation.dataset = dataset;
  const examples = turn.chat.analyses
    .map((spec) => datasetExample(spec, dataset.table))
    .filter((example) => example !== null)
    .slice(0, EXAMPLES_SHOWN);
  const next =
    examples.length > 0
      ? `Now ask for an analysis, e.g.\n${examples.map((example) => `  ${example}`).join('\n')}\n/script lists them all.`
      : '/script lists the analyses.';
  return { loaded: true, replies: [...previewBlocks(dataset), text(next)] };
}
