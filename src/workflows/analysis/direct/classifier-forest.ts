/**
 * Random forest of train_classifier's direct engine: the settings of scikit-learn's
 * RandomForestClassifier(n_estimators=100) — CART trees grown until pure, gini impurity, a bootstrap
 * sample of the training rows per tree, floor(√features) candidate features per split (drawing on past
 * constant features until one varies), midpoint thresholds, class probabilities averaged over trees,
 * mean-decrease-in-impurity importance — with its own randomness: one splitmix64 stream seeded with
 * seed + 2^63 (disjoint from the split's stream), per tree the n bootstrap draws, then the feature draws
 * node by node, depth first, left before right.
 *
 * Why this cannot reproduce scikit-learn's predictions tree for tree (1.2.1, /usr/lib/python3/
 * dist-packages/sklearn): each tree's seed is `randint(np.iinfo(np.int32).max)` from a numpy
 * RandomState(random_state) — MT19937 — (ensemble/_base.py `_set_random_states`); its bootstrap is
 * `RandomState(tree_seed).randint(0, n, n)` (ensemble/_forest.py `_generate_sample_indices`); the
 * Cython splitter then seeds its own XorShift32 `our_rand_r` (utils/_random.pxd; `rand_r_state` in
 * tree/_splitter.pxd) from that RandomState and draws candidate features by Fisher–Yates on it, a new
 * best split must be strictly better so ties go to the feature drawn first, and X is cast to float32
 * (tree/_tree.pxd DTYPE_t) with thresholds taken between float32 values. Mirroring all of that bit for bit
 * would mean reimplementing numpy's MT19937 bounded-integer sampling and sklearn's tree builder; instead
 * the tests compare accuracy on the same split within a tolerance, and the most important feature.
 */
import { SplitMix64 } from './classifier-split.js';

export const FOREST_TREES = 100;

type TreeNode =
  | { kind: 'split'; feature: number; threshold: number; left: number; right: number }
  | { kind: 'leaf'; probabilities: number[] };

export interface Forest {
  trees: TreeNode[][];
  /** Mean decrease in impurity per feature, summing to 1 (all zeros when no tree ever split). */
  importance: number[];
  classCount: number;
}

interface Grower {
  rows: readonly number[][];
  labels: readonly number[];
  weights: Float64Array;
  classCount: number;
  featureCount: number;
  maxFeatures: number;
  random: SplitMix64;
}

function weightedCounts(grower: Grower, samples: readonly number[]): number[] {
  const counts = new Array<number>(grower.classCount).fill(0);
  for (const sample of samples) {
    const label = grower.labels[sample] ?? 0;
    counts[label] = (counts[label] ?? 0) + (grower.weights[sample] ?? 0);
  }
  return counts;
}

function gini(counts: readonly number[], total: number): number {
  return 1 - counts.reduce((sum, count) => sum + (count / total) ** 2, 0);
}

interface BestSplit {
  feature: number;
  threshold: number;
  improvement: number;
}

/** The best split of `samples` over the drawn candidate features, or null when every feature is constant. */
function bestSplit(
  grower: Grower,
  samples: readonly number[],
  total: number,
  impurity: number,
): BestSplit | null {
  const { rows, labels, weights, classCount, random } = grower;
  const remaining = Array.from({ length: grower.featureCount }, (_, f) => f);
  let visited = 0;
  let varying = 0;
  let best: BestSplit | null = null;
  while (remaining.length > 0 && (visited < grower.maxFeatures || varying === 0)) {
    const at = random.below(remaining.length);
    const feature = remaining[at] ?? 0;
    remaining[at] = remaining[remaining.length - 1] ?? 0;
    remaining.pop();
    visited += 1;
    const value = (sample: number): number => rows[sample]?.[feature] ?? NaN;
    const sorted = [...samples].sort((a, b) => value(a) - value(b) || a - b);
    if (value(sorted[0] ?? 0) === value(sorted[sorted.length - 1] ?? 0)) continue;
    varying += 1;
    const left = new Array<number>(classCount).fill(0);
    const right = weightedCounts(grower, sorted);
    let leftTotal = 0;
    for (let i = 0; i < sorted.length - 1; i += 1) {
      const sample = sorted[i] ?? 0;
      const weight = weights[sample] ?? 0;
      const label = labels[sample] ?? 0;
      left[label] = (left[label] ?? 0) + weight;
      right[label] = (right[label] ?? 0) - weight;
      leftTotal += weight;
      const low = value(sample);
      const high = value(sorted[i + 1] ?? 0);
      if (low === high) continue;
      const rightTotal = total - leftTotal;
      const improvement =
        total * impurity - leftTotal * gini(left, leftTotal) - rightTotal * gini(right, rightTotal);
      if (best === null || improvement > best.improvement) {
        const middle = low / 2 + high / 2;
        best = { feature, threshold: middle === high ? low : middle, improvement };
      }
    }
  }
  return best;
}

/** Grows one tree on the rows with positive weight; adds its weighted impurity decreases to `importance`. */
function growTree(grower: Grower, importance: number[]): TreeNode[] {
  const nodes: TreeNode[] = [];
  const all = grower.rows.flatMap((_, row) => ((grower.weights[row] ?? 0) > 0 ? [row] : []));
  const pending: { samples: number[]; slot: number }[] = [{ samples: all, slot: 0 }];
  nodes.push({ kind: 'leaf', probabilities: [] });
  while (pending.length > 0) {
    const { samples, slot } = pending.pop() ?? { samples: [], slot: 0 };
    const counts = weightedCounts(grower, samples);
    const total = counts.reduce((a, b) => a + b, 0);
    const impurity = gini(counts, total);
    const split =
      samples.length < 2 || impurity <= Number.EPSILON ? null : bestSplit(grower, samples, total, impurity);
    if (split === null) {
      nodes[slot] = { kind: 'leaf', probabilities: counts.map((count) => count / total) };
      continue;
    }
    const below = samples.filter(
      (sample) => (grower.rows[sample]?.[split.feature] ?? NaN) <= split.threshold,
    );
    const above = samples.filter((sample) => (grower.rows[sample]?.[split.feature] ?? NaN) > split.threshold);
    importance[split.feature] = (importance[split.feature] ?? 0) + split.improvement;
    const left = nodes.push({ kind: 'leaf', probabilities: [] }) - 1;
    const right = nodes.push({ kind: 'leaf', probabilities: [] }) - 1;
    nodes[slot] = { kind: 'split', feature: split.feature, threshold: split.threshold, left, right };
    pending.push({ samples: above, slot: right }, { samples: below, slot: left });
  }
  return nodes;
}

const normalized = (values: number[]): number[] => {
  const total = values.reduce((a, b) => a + b, 0);
  return total > 0 ? values.map((value) => value / total) : values;
};

/** Grows the forest on training rows with class indices `labels` (0..classCount − 1). */
export function fitForest(
  rows: readonly number[][],
  labels: readonly number[],
  featureCount: number,
  classCount: number,
  seed: number,
): Forest {
  const random = new SplitMix64(BigInt(seed) + (1n << 63n));
  const maxFeatures = Math.max(1, Math.floor(Math.sqrt(featureCount)));
  const trees: TreeNode[][] = [];
  const importance = new Array<number>(featureCount).fill(0);
  for (let t = 0; t < FOREST_TREES; t += 1) {
    const weights = new Float64Array(rows.length);
    for (let draw = 0; draw < rows.length; draw += 1) {
      const row = random.below(rows.length);
      weights[row] = (weights[row] ?? 0) + 1;
    }
    const treeImportance = new Array<number>(featureCount).fill(0);
    const grower = { rows, labels, weights, classCount, featureCount, maxFeatures, random };
    trees.push(growTree(grower, treeImportance));
    // Each tree's decreases sum to 1 (a tree that never split adds nothing), as in sklearn.
    normalized(treeImportance).forEach((value, f) => (importance[f] = (importance[f] ?? 0) + value));
  }
  return { trees, importance: normalized(importance), classCount };
}

/** Class probabilities of one row: the trees' leaf class shares, averaged. */
export function forestProbabilities(forest: Forest, row: readonly number[]): number[] {
  const sums = new Array<number>(forest.classCount).fill(0);
  for (const tree of forest.trees) {
    let node = tree[0];
    while (node?.kind === 'split') {
      node = tree[(row[node.feature] ?? NaN) <= node.threshold ? node.left : node.right];
    }
    node?.probabilities.forEach((p, k) => (sums[k] = (sums[k] ?? 0) + p));
  }
  return sums.map((total) => total / forest.trees.length);
}
