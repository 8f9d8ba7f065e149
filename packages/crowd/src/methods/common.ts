import type { TAggregateOptions, TAggregateResult, TMethod, TVoteSet } from "../types";
import { goldToArray } from "../vote-set";

export type TResolved = {
  maxIterations: number;
  tolerance: number;
  objectiveTolerance: number;
  restarts: number;
  smoothing: number;
  gold: Int32Array | null;
  clampGold: boolean;
  seed: number;
  tieBreak: "lowest" | "random";
};

export function resolveOptions(set: TVoteSet, o: TAggregateOptions = {}): TResolved {
  const maxIterations = o.maxIterations ?? 100;
  const tolerance = o.tolerance ?? 1e-3;
  const smoothing = o.smoothing ?? 0.01;
  const objectiveTolerance = o.objectiveTolerance ?? 1e-6;
  const restarts = o.restarts ?? 10;
  if (!(maxIterations >= 0)) throw new RangeError(`maxIterations must be >= 0, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  if (!(objectiveTolerance >= 0))
    throw new RangeError(`objectiveTolerance must be >= 0, got ${objectiveTolerance}`);
  if (!(Number.isInteger(restarts) && restarts >= 0))
    throw new RangeError(`restarts must be an integer >= 0, got ${restarts}`);
  if (!(smoothing >= 0)) throw new RangeError(`smoothing must be >= 0, got ${smoothing}`);
  return {
    maxIterations,
    tolerance,
    objectiveTolerance,
    restarts,
    smoothing,
    gold: o.gold ? goldToArray(set, o.gold) : null,
    clampGold: o.goldMode === "clamp",
    seed: o.seed ?? 1,
    tieBreak: o.tieBreak ?? "lowest",
  };
}

export function emptyResult(set: TVoteSet, method: TMethod): TAggregateResult {
  return {
    method,
    numItems: set.numItems,
    numClasses: set.numClasses,
    labels: new Int32Array(set.numItems).fill(-1),
    posteriors: new Float64Array(set.numItems * set.numClasses),
    classPriors: null,
    workerSkill: null,
    workerConfusion: null,
    itemEasiness: null,
    anonymous: null,
    iterations: 0,
    converged: true,
    stopReason: null,
    logLikelihood: null,
    expectedLogLikelihood: null,
    objective: null,
  };
}

/** Hard labels = argmax of each posterior row (lowest index on exact ties); -1 for all-zero rows. */
export function argmaxRows(post: Float64Array, C: number, labels: Int32Array): void {
  const N = labels.length;
  for (let i = 0; i < N; i++) {
    let best = -1;
    let bestP = 0;
    for (let c = 0; c < C; c++) {
      const p = post[i * C + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    labels[i] = best;
  }
}

/** Deterministic PRNG (mulberry32) so seeded methods are reproducible across runs and machines. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Item has at least one identified vote or tally count. */
export function hasVotes(set: TVoteSet, i: number): boolean {
  if (set.itemOffsets[i + 1]! > set.itemOffsets[i]!) return true;
  const t = set.tallies;
  if (!t) return false;
  const C = set.numClasses;
  for (let c = 0; c < C; c++) if (t[i * C + c]! > 0) return true;
  return false;
}

/** Replaces each gold row by its one-hot label (used for gold-initialised or clamped EM). */
export function applyGold(post: Float64Array, C: number, gold: Int32Array | null): void {
  if (!gold) return;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    if (g < 0) continue;
    post.fill(0, i * C, i * C + C);
    post[i * C + g] = 1;
  }
}

/** One-hot of each row's maximum, split evenly over exact ties (all-zero rows stay zero). */
export function hardened(post: Float64Array, C: number): Float64Array {
  const out = new Float64Array(post.length);
  for (let i = 0; i < post.length / C; i++) {
    let max = 0;
    for (let c = 0; c < C; c++) max = Math.max(max, post[i * C + c]!);
    if (max <= 0) continue;
    let ties = 0;
    for (let c = 0; c < C; c++) if (post[i * C + c]! >= max * (1 - 1e-12)) ties++;
    for (let c = 0; c < C; c++) if (post[i * C + c]! >= max * (1 - 1e-12)) out[i * C + c] = 1 / ties;
  }
  return out;
}

/**
 * Fixed-point grid for every sum the EM methods take. Sums of multiples of 2^-34 are exact while they stay
 * below 2^19 in magnitude, so they do not depend on the order of their terms, and that order follows the
 * item and worker ids. Without it, relabelling ids changed rounding in the last bit, and on a crowd that is
 * symmetric between two classes EM amplified that bit until it settled on the other of two mirror-image
 * optima (fast-check seed 77 in test/properties.test.ts). Rounding a probability to the grid moves it by at
 * most 2^-35 (3e-11).
 */
const GRID = 2 ** 34;
const INV_GRID = 1 / GRID; // exact: a power of two
export const onGrid = (x: number): number => Math.round(x * GRID) * INV_GRID;

/** Rounds every entry of `a` to the grid, in place. */
export function toGrid(a: Float64Array): Float64Array {
  for (let j = 0; j < a.length; j++) a[j] = onGrid(a[j]!);
  return a;
}

export type TPosteriorRow = { logZ: number; expected: number; delta: number };

/**
 * E-step tail shared by GLAD and MACE: normalises item i's log-scores `row` (log p(c, votes)) into T's row,
 * on the grid (or pins it to the clamped gold class g >= 0). Returns the item's log-likelihood term log sum
 * exp(row), its expected term sum_c T[i, c] * row[c], both on the grid, and the largest change of any
 * posterior entry (for the convergence test).
 */
export function writePosterior(
  row: Float64Array,
  C: number,
  T: Float64Array,
  i: number,
  g: number,
): TPosteriorRow {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, row[c]!);
  let z = 0;
  for (let c = 0; c < C; c++) z += Math.exp(row[c]! - m);
  let delta = 0;
  let expected = 0;
  for (let c = 0; c < C; c++) {
    const p = g >= 0 ? (c === g ? 1 : 0) : onGrid(Math.exp(row[c]! - m) / z);
    delta = Math.max(delta, Math.abs(p - T[i * C + c]!));
    T[i * C + c] = p;
    if (p > 0) expected += p * row[c]!;
  }
  return { logZ: onGrid(m + Math.log(z)), expected: onGrid(expected), delta };
}
