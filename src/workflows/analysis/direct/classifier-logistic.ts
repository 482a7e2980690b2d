/**
 * Logistic regression of train_classifier's direct engine, on scikit-learn's objective (1.2,
 * linear_model/_logistic.py with _linear_loss.LinearModelLoss):
 *
 *   minimise  0.5 · Σ_k ‖w_k‖²  +  C · Σ_i log-loss_i,   C = 1, intercepts not penalised,
 *
 * binomial for two classes (one coefficient vector, for the second class: HalfBinomialLoss), multinomial
 * for more (one vector per class, softmax: HalfMultinomialLoss). The objective is strictly convex in the
 * weights, so any solver run to convergence reaches the same optimum. The multinomial intercepts are only
 * defined up to a common shift; scikit-learn's solvers start at zero and every gradient sums to zero over
 * the classes, so its intercepts sum to zero, and so do ours (the term 0.5 · (Σ_k b_k)², which changes no
 * prediction, is added to pin them there). Solved by Newton's method with the exact Hessian (Cholesky) and
 * a backtracking line search, to machine precision.
 *
 * Features are standardised first, as sklearn's StandardScaler does it on the training rows: mean and
 * population standard deviation, scale 1 for a feature its constant-feature test flags.
 */
import { mean, variance } from './basic.js';

export interface Standardizer {
  mean: number[];
  scale: number[];
}

/** The training rows' per-feature mean and population standard deviation (StandardScaler.fit). */
export function fitStandardizer(rows: readonly number[][], featureCount: number): Standardizer {
  const result: Standardizer = { mean: [], scale: [] };
  for (let f = 0; f < featureCount; f += 1) {
    const values = rows.map((row) => row[f] ?? NaN);
    const m = mean(values);
    const v = variance(values, 0);
    // sklearn's _is_constant_feature: a variance within the rounding error of the two-pass algorithm.
    const n = values.length;
    const constant = v <= n * Number.EPSILON * v + (n * m * Number.EPSILON) ** 2;
    result.mean.push(m);
    result.scale.push(constant ? 1 : Math.sqrt(v));
  }
  return result;
}

export function standardize(standardizer: Standardizer, rows: readonly number[][]): number[][] {
  return rows.map((row) =>
    row.map((value, f) => (value - (standardizer.mean[f] ?? 0)) / (standardizer.scale[f] ?? 1)),
  );
}

export interface LogisticModel {
  /** One row for two classes (the second class's), else one per class. */
  weights: number[][];
  intercepts: number[];
  classCount: number;
}

/** Raw scores (linear predictors) of one standardised row, one per coefficient row. */
function scores(model: LogisticModel, row: readonly number[]): number[] {
  return model.weights.map(
    (w, k) => (model.intercepts[k] ?? 0) + w.reduce((total, value, f) => total + value * (row[f] ?? 0), 0),
  );
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Softmax probabilities and log Σ exp of raw scores. */
function softmax(z: readonly number[]): { p: number[]; logSum: number } {
  const top = Math.max(...z);
  const e = z.map((value) => Math.exp(value - top));
  const total = e.reduce((a, b) => a + b, 0);
  return { p: e.map((value) => value / total), logSum: top + Math.log(total) };
}

/** Class probabilities of one standardised row, in class order (sklearn's predict_proba). */
export function logisticProbabilities(model: LogisticModel, row: readonly number[]): number[] {
  const z = scores(model, row);
  if (model.classCount === 2) {
    const p = sigmoid(z[0] ?? 0);
    return [1 - p, p];
  }
  return softmax(z).p;
}

function addAt(array: Float64Array, index: number, value: number): void {
  array[index] = (array[index] ?? 0) + value;
}

/** Objective, gradient and Hessian at `theta` (per coefficient row: p weights, then the intercept). */
interface Evaluation {
  value: number;
  gradient: Float64Array;
  hessian: Float64Array;
}

class Objective {
  readonly rowsCount: number;
  /** Coefficient rows: 1 for two classes, else one per class. */
  readonly blocks: number;
  /** Parameters per block: the weights and the intercept. */
  readonly width: number;
  readonly size: number;

  constructor(
    private readonly rows: readonly number[][],
    private readonly labels: readonly number[],
    readonly featureCount: number,
    readonly classCount: number,
  ) {
    this.rowsCount = rows.length;
    this.blocks = classCount === 2 ? 1 : classCount;
    this.width = featureCount + 1;
    this.size = this.blocks * this.width;
  }

  private rawScores(theta: Float64Array, row: readonly number[]): number[] {
    const z: number[] = [];
    for (let k = 0; k < this.blocks; k += 1) {
      const base = k * this.width;
      let total = theta[base + this.featureCount] ?? 0;
      for (let f = 0; f < this.featureCount; f += 1) total += (theta[base + f] ?? 0) * (row[f] ?? 0);
      z.push(total);
    }
    return z;
  }

  /** The penalty: 0.5 ‖W‖², plus 0.5 (Σ b)² for the multinomial intercepts. */
  private penalty(theta: Float64Array): number {
    let total = 0;
    let interceptSum = 0;
    for (let k = 0; k < this.blocks; k += 1) {
      for (let f = 0; f < this.featureCount; f += 1) total += (theta[k * this.width + f] ?? 0) ** 2;
      interceptSum += theta[k * this.width + this.featureCount] ?? 0;
    }
    return 0.5 * total + (this.blocks > 1 ? 0.5 * interceptSum ** 2 : 0);
  }

  value(theta: Float64Array): number {
    let total = this.penalty(theta);
    this.rows.forEach((row, i) => {
      const z = this.rawScores(theta, row);
      const label = this.labels[i] ?? 0;
      total +=
        this.blocks === 1
          ? softplus(z[0] ?? 0) - (label === 1 ? (z[0] ?? 0) : 0)
          : softmax(z).logSum - (z[label] ?? 0);
    });
    return total;
  }

  evaluate(theta: Float64Array): Evaluation {
    const { size, width, blocks, featureCount } = this;
    const gradient = new Float64Array(size);
    const hessian = new Float64Array(size * size);
    this.rows.forEach((row, i) => {
      const z = this.rawScores(theta, row);
      const label = this.labels[i] ?? 0;
      const p = blocks === 1 ? [sigmoid(z[0] ?? 0)] : softmax(z).p;
      const x = [...row.slice(0, featureCount), 1];
      for (let k = 0; k < blocks; k += 1) {
        const pk = p[k] ?? 0;
        const residual = pk - (blocks === 1 ? (label === 1 ? 1 : 0) : label === k ? 1 : 0);
        for (let a = 0; a < width; a += 1) addAt(gradient, k * width + a, residual * (x[a] ?? 0));
        for (let l = 0; l < blocks; l += 1) {
          // d²/dz_k dz_l: p_k (δ_kl − p_l); for one block, p (1 − p).
          const curvature = pk * ((k === l ? 1 : 0) - (blocks === 1 ? pk : (p[l] ?? 0)));
          if (curvature === 0) continue;
          for (let a = 0; a < width; a += 1) {
            const rowOffset = (k * width + a) * size + l * width;
            const xa = curvature * (x[a] ?? 0);
            for (let b = 0; b < width; b += 1) addAt(hessian, rowOffset + b, xa * (x[b] ?? 0));
          }
        }
      }
    });
    let interceptSum = 0;
    for (let k = 0; k < blocks; k += 1) interceptSum += theta[k * width + featureCount] ?? 0;
    for (let k = 0; k < blocks; k += 1) {
      for (let f = 0; f < featureCount; f += 1) {
        const at = k * width + f;
        addAt(gradient, at, theta[at] ?? 0);
        addAt(hessian, at * size + at, 1);
      }
      if (blocks > 1) {
        addAt(gradient, k * width + featureCount, interceptSum);
        for (let l = 0; l < blocks; l += 1) {
          addAt(hessian, (k * width + featureCount) * size + l * width + featureCount, 1);
        }
      }
    }
    return { value: this.value(theta), gradient, hessian };
  }
}

/** Solves H d = b for a symmetric positive definite H (n × n, row-major) by Cholesky. */
function choleskySolve(matrix: Float64Array, b: Float64Array, n: number): Float64Array {
  const lower = new Float64Array(n * n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j <= i; j += 1) {
      let total = matrix[i * n + j] ?? 0;
      for (let k = 0; k < j; k += 1) total -= (lower[i * n + k] ?? 0) * (lower[j * n + k] ?? 0);
      if (i === j) {
        if (!(total > 0)) throw new Error('logistic regression: the Hessian is not positive definite');
        lower[i * n + i] = Math.sqrt(total);
      } else {
        lower[i * n + j] = total / (lower[j * n + j] ?? 1);
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    let total = b[i] ?? 0;
    for (let k = 0; k < i; k += 1) total -= (lower[i * n + k] ?? 0) * (y[k] ?? 0);
    y[i] = total / (lower[i * n + i] ?? 1);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i -= 1) {
    let total = y[i] ?? 0;
    for (let k = i + 1; k < n; k += 1) total -= (lower[k * n + i] ?? 0) * (x[k] ?? 0);
    x[i] = total / (lower[i * n + i] ?? 1);
  }
  return x;
}

const MAX_NEWTON_STEPS = 200;

/**
 * Fits the model on standardised training rows with class indices `labels` (0..classCount − 1; every
 * class present). Damped Newton steps (Armijo backtracking) until a full step moves no parameter by more
 * than 1e-9 relative: convergence is quadratic there, so the error left is at the rounding floor.
 */
export function fitLogistic(
  rows: readonly number[][],
  labels: readonly number[],
  featureCount: number,
  classCount: number,
): LogisticModel {
  const objective = new Objective(rows, labels, featureCount, classCount);
  let theta: Float64Array = new Float64Array(objective.size);
  for (let step = 0; step < MAX_NEWTON_STEPS; step += 1) {
    const { value, gradient, hessian } = objective.evaluate(theta);
    const direction = choleskySolve(
      hessian,
      gradient.map((g) => -g),
      objective.size,
    );
    const slope = direction.reduce((total, d, i) => total + d * (gradient[i] ?? 0), 0);
    const from = theta;
    const along = (t: number): Float64Array => from.map((x, i) => x + t * (direction[i] ?? 0));
    // Differences within the rounding of the objective do not count as an increase.
    const slack = 1e-14 * Math.max(1, Math.abs(value));
    let t = 1;
    while (objective.value(along(t)) > value + 1e-4 * t * slope + slack && t > 1e-10) t /= 2;
    theta = along(t);
    const largest = Math.max(1, ...from.map(Math.abs));
    const moved = Math.max(...direction.map((d) => Math.abs(t * d)));
    if ((t === 1 && moved <= 1e-9 * largest) || t <= 1e-10) break;
  }
  const { blocks, width } = objective;
  return {
    weights: Array.from({ length: blocks }, (_, k) => [...theta.slice(k * width, k * width + featureCount)]),
    intercepts: Array.from({ length: blocks }, (_, k) => theta[k * width + featureCount] ?? 0),
    classCount,
  };
}
