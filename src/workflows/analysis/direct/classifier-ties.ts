/**
 * The tie rule of train_classifier's predictions, for both models and both engines (the stats/
 * train_classifier script states and applies the same rule): the predicted class is the most probable
 * one; classes whose probabilities are within TIE_TOLERANCE of the highest are tied, and a tie goes to
 * the first of them in class order (the sorted order of `classes`), as numpy's argmax picks the first
 * maximum.
 *
 * Why a tolerance: equally likely classes (a constant feature with balanced classes) get probabilities
 * that are equal in exact arithmetic but differ in the last bits, and differently in each engine —
 * scikit-learn's newton-cg stops about 1e-10 away from the optimum the direct engine reaches — so a
 * plain argmax handed the tie to whichever class the rounding favoured (the script said the first class,
 * the direct engine the last). Real differences between probabilities are far above 1e-9.
 */
export const TIE_TOLERANCE = 1e-9;

/** The words both engines print under `definitions.prediction`. */
export const TIE_RULE =
  'the most probable class; classes whose probabilities are within 1e-9 of the highest are tied, and a ' +
  'tie goes to the first of them in class order';

/** The index of the predicted class for one row of class probabilities (see the top of this file). */
export function mostLikelyClass(probabilities: readonly number[]): number {
  const highest = Math.max(...probabilities);
  const first = probabilities.findIndex((p) => p >= highest - TIE_TOLERANCE);
  return Math.max(0, first);
}
