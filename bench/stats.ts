/** Timing helpers for benchmarks: interleaved rounds so baselines and candidates share machine conditions. */
export interface Summary {
  name: string;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
}

export function summarize(name: string, samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    name,
    runs: samples.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
    minMs: round(sorted[0] ?? NaN),
  };
}

/**
 * Runs each case once per round, in turn, `rounds` times after `warmup` rounds; `beforeRound` (untimed)
 * prepares each round. Returns one summary per case.
 */
export async function interleave(
  cases: Record<string, () => Promise<unknown>>,
  rounds: number,
  warmup = 5,
  beforeRound: () => Promise<unknown> = () => Promise.resolve(),
): Promise<Record<string, Summary>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    await beforeRound();
    for (const [name, run] of Object.entries(cases)) {
      const started = performance.now();
      await run();
      if (round >= warmup) samples[name]?.push(performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, times]) => [name, summarize(name, times)]));
}
