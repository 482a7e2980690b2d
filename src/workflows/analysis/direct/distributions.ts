/**
 * Tail probabilities the direct engine's tests need: Student's t (two-sided), F (upper tail) and the
 * normal distribution (two-sided), from the regularized incomplete beta and gamma functions (continued
 * fractions, modified Lentz; Numerical Recipes §6.2 and §6.4). Accurate to about 1e-14 absolute, which is
 * what the script-equals-direct tests hold them to (1e-9) with room to spare.
 */

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

// Lanczos approximation, g = 7, nine coefficients: about 15 significant digits.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i += 1) series += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

// Stirling series coefficients B_2k / (2k (2k - 1)), k = 1..7: below 1e-16 for x >= 10.
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156];

/** ln Γ(x) - Stirling's approximation (x - 1/2) ln x - x + ln √(2π), for x >= 10. */
function stirlingCorrection(x: number): number {
  const inverseSquare = 1 / (x * x);
  let total = 0;
  let power = 1 / x;
  for (const coefficient of STIRLING) {
    total += coefficient * power;
    power *= inverseSquare;
  }
  return total;
}

/**
 * ln B(a, b). With a large argument, ln Γ differences cancel badly, so the Stirling parts are combined
 * first (as R's lbeta does) and only small corrections remain.
 */
function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const correction = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q);
    return (
      -0.5 * Math.log(q) +
      0.5 * Math.log(2 * Math.PI) +
      correction +
      (p - 0.5) * Math.log(p / (p + q)) +
      q * Math.log1p(-p / (p + q))
    );
  }
  if (q >= 10) {
    const correction = stirlingCorrection(q) - stirlingCorrection(p + q);
    return logGamma(p) + correction + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

function nonZero(value: number): number {
  return Math.abs(value) < TINY ? TINY : value;
}

function notConverged(what: string): never {
  throw new Error(`${what} did not converge (this is a bug in the direct engine)`);
}

/** The continued fraction of I_x(a, b), for x < (a + 1) / (a + b + 2). */
function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 / nonZero(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m += 1) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 / nonZero(1 + even * d);
    c = nonZero(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 / nonZero(1 + odd * d);
    c = nonZero(1 + odd / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) return h;
  }
  return notConverged('the incomplete beta fraction');
}

/**
 * The regularized incomplete beta function I_x(a, b). `complement` is 1 - x, passed separately when the
 * caller can compute it without cancellation.
 */
export function incompleteBeta(x: number, a: number, b: number, complement = 1 - x): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (complement <= 0) return 1;
  // Whichever of x and 1 - x is small was computed without cancellation: take logs near 1 from it.
  const logX = x < 0.5 ? Math.log(x) : Math.log1p(-complement);
  const logComplement = complement < 0.5 ? Math.log(complement) : Math.log1p(-x);
  const front = Math.exp(a * logX + b * logComplement - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(complement, b, a)) / b;
}

/** The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a). */
export function upperIncompleteGamma(a: number, x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let total = term;
    for (let n = 1; n <= MAX_ITERATIONS; n += 1) {
      term *= x / (a + n);
      total += term;
      if (Math.abs(term) < Math.abs(total) * EPSILON) return 1 - total * front;
    }
    return notConverged('the incomplete gamma series');
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = 1 / nonZero(an * d + b);
    c = nonZero(b + an / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) return front * h;
  }
  return notConverged('the incomplete gamma fraction');
}

/** P(|T| >= |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const square = t * t;
  return incompleteBeta(df / (df + square), df / 2, 0.5, square / (df + square));
}

/** P(F >= f) for the F distribution with (d1, d2) degrees of freedom. */
export function fUpperTail(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f) || !(d1 > 0) || !(d2 > 0)) return NaN;
  if (f <= 0) return 1;
  if (!Number.isFinite(f)) return 0;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2, (d1 * f) / (d2 + d1 * f));
}

/** P(|Z| >= |z|) for the standard normal distribution: erfc(|z| / √2). */
export function normalTwoSided(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return upperIncompleteGamma(0.5, (z * z) / 2);
}
