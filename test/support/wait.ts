/**
 * Waiting on what a test can observe instead of sleeping: a script's output, or a condition polled with a
 * deadline (when the thing under test is itself a delay, like an idle timeout).
 */

/**
 * Aborts once the script has printed `marker` on stdout: spread it into run options,
 * `engine.run({ ..., ...abortOnceOutput('started') })`, so the run is cancelled while it is surely
 * under way, never before it started and never after it ended. `whileRunning` is called right before the
 * abort (to look at the live sandbox).
 */
export function abortOnceOutput(
  marker: string,
  whileRunning: () => void = () => undefined,
): { signal: AbortSignal; onStdout: (text: string) => void } {
  const controller = new AbortController();
  let seen = '';
  return {
    signal: controller.signal,
    onStdout: (text) => {
      if (controller.signal.aborted) return;
      seen += text; // the marker may arrive split over chunks
      if (!seen.includes(marker)) return;
      try {
        whileRunning();
      } finally {
        controller.abort();
      }
    },
  };
}

/**
 * Resolves once `condition()` holds, checking every `intervalMs`; rejects naming `what` when it still does
 * not after `timeoutMs`.
 */
export async function waitUntil(
  condition: () => boolean,
  opts: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 10 } = opts;
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
