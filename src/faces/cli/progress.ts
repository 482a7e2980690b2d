/** A one-line progress bar for batches, redrawn in place with `\r`; drawn only when the stream is a terminal. */
import type { BatchProgress } from '../../engine/batch.js';

export type ProgressCounts = Pick<BatchProgress, 'done' | 'total' | 'succeeded' | 'failed'>;

const BAR_WIDTH = 20;

/** `[#####...............] 37/100 · 35 ok · 2 failed` */
export function formatProgress(counts: ProgressCounts, width = BAR_WIDTH): string {
  const filled = counts.total === 0 ? width : Math.floor((counts.done / counts.total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return `[${bar}] ${counts.done}/${counts.total} · ${counts.succeeded} ok · ${counts.failed} failed`;
}

export class ProgressBar {
  private drawn = false;

  /** Draws nothing unless `enabled` (by default: when `stream` is a terminal). */
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly enabled = stream.isTTY === true,
  ) {}

  update(counts: ProgressCounts): void {
    if (!this.enabled) return;
    // \x1b[K erases what a longer previous line left on the right.
    this.stream.write(`\r${formatProgress(counts)}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the bar so what follows starts on a clean line. Idempotent. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}
