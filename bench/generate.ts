/**
 * Template generation speed, after the registry compiled its templates:
 *   render: registry.render (validate parameters with zod, fill in defaults, render) of stats/descriptive
 *     and stats/train_classifier, 10k times each;
 *   validateOnly: parameter validation alone (zod, defaults), the part of render that is not nunjucks;
 *   cacheHitInMemory: generateFromTemplate through an in-memory cache that already holds the result (key
 *     computation included: validation, canonical JSON, sha256);
 *   cacheHitLibrary: the same through the library's SQLite cache (what the CLI uses; it pays off for LLM
 *     prompts, which take seconds, not for templates, which render faster than a database lookup);
 *   baseline: JSON.stringify of the same parameters, as trivial per-call work.
 * Each sample is one call timed with process.hrtime; figures are in microseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { libraryCache, openLibrary } from '../src/library/index.js';
import { generateFromTemplate } from '../src/generate/from-template.js';
import { createTemplateRegistry } from '../src/generate/registry.js';

const RENDERS = Number(process.env['BENCH_RENDERS'] ?? 10_000);
const WARMUP = 500;

interface MicroSummary {
  runs: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

function measure(work: () => unknown): MicroSummary {
  for (let i = 0; i < WARMUP; i++) work();
  const samples = new Float64Array(RENDERS);
  for (let i = 0; i < RENDERS; i++) {
    const started = process.hrtime.bigint();
    work();
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const round = (us: number): number => Math.round(us * 100) / 100;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { runs: RENDERS, p50Us: round(at(0.5)), p99Us: round(at(0.99)), meanUs: round(mean) };
}

export function benchGenerate(): Promise<Record<string, unknown>> {
  const compileStarted = performance.now();
  const registry = createTemplateRegistry({ templateDirs: [] });
  const loadMs = Math.round((performance.now() - compileStarted) * 100) / 100;
  const cases = {
    descriptive: {
      id: 'stats/descriptive',
      params: { file: 'iris.csv', columns: ['a', 'b'], quantiles: [0.1, 0.9] },
    },
    trainClassifier: {
      id: 'stats/train_classifier',
      params: { target: 'species', model: 'random_forest', test_size: 0.3, seed: 7 },
    },
  };
  const store = new Map<string, string>();
  const cache = {
    get: (key: string) => store.get(key),
    set: (key: string, source: string) => void store.set(key, source),
  };
  // The library's SQLite cache (what the CLI uses), in a throwaway home.
  const home = mkdtempSync(join(tmpdir(), 'scriptbox-bench-library-'));
  const library = openLibrary({ home });
  const libraryStore = libraryCache(library);
  const report: Record<string, unknown> = { templatesLoadAndCompileMs: loadMs, renders: RENDERS };
  for (const [name, { id, params }] of Object.entries(cases)) {
    const resolved = registry.resolveParams(id, params);
    const rendered = registry.render(id, params);
    generateFromTemplate(registry, { id, params, cache });
    generateFromTemplate(registry, { id, params, cache: libraryStore });
    const render = measure(() => registry.render(id, params));
    const baseline = measure(() => JSON.stringify(params));
    report[name] = {
      sourceBytes: Buffer.byteLength(rendered.source),
      render,
      validateOnly: measure(() => registry.resolveParams(id, params)),
      cacheHitInMemory: measure(() => generateFromTemplate(registry, { id, params: resolved, cache })),
      cacheHitLibrary: measure(() =>
        generateFromTemplate(registry, { id, params: resolved, cache: libraryStore }),
      ),
      baselineJsonStringify: baseline,
      renderOverBaselineP50: Math.round((render.p50Us / Math.max(baseline.p50Us, 0.01)) * 10) / 10,
      renderUnder1msAtP99: render.p99Us < 1000,
    };
  }
  library.close();
  rmSync(home, { recursive: true, force: true });
  return Promise.resolve(report);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  process.stdout.write(`${JSON.stringify(await benchGenerate(), null, 2)}\n`);
}
