import type { TAggregateResult, TVoteSet } from "./types";
import { itemCounts } from "./vote-set";

/** Crowd distribution per item: normalised counts (identified votes + tallies); all-zero rows for items without votes. */
export function softLabels(set: TVoteSet): Float64Array {
  const C = set.numClasses;
  const counts = itemCounts(set);
  for (let i = 0; i < set.numItems; i++) {
    let t = 0;
    for (let c = 0; c < C; c++) t += counts[i * C + c]!;
    if (t > 0) for (let c = 0; c < C; c++) counts[i * C + c]! /= t;
  }
  return counts;
}

export type TSmoothTargetsInput = {
  /** Hard consensus per item (e.g. `aggregate(...).labels`); -1 rows come out all zero (not trainable). */
  consensus: Int32Array;
  numClasses: number;
  /** Weight of q, in [0, 1]. 0 = one-hot consensus; 1 = q alone. */
  eps: number;
  /** numItems x numClasses distribution: crowd soft labels or DS posteriors; "uniform" = classic label smoothing. */
  q: ArrayLike<number> | "uniform";
};

/**
 * Crowd-aware label smoothing: target = (1 - eps) * onehot(consensus) + eps * q.
 * A q row that is all zero (no votes) falls back to uniform so every target still sums to 1.
 */
export function smoothTargets(input: TSmoothTargetsInput): Float32Array {
  const { consensus, numClasses: C, eps, q } = input;
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`eps must be in [0, 1], got ${eps}`);
  const N = consensus.length;
  if (q !== "uniform" && q.length !== N * C) {
    throw new RangeError(`q has ${q.length} entries, expected ${N} x ${C} = ${N * C}`);
  }
  const out = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    const y = consensus[i]!;
    if (y < 0) continue;
    if (y >= C) throw new RangeError(`consensus[${i}] = ${y} is not a class in [0, ${C})`);
    let qs = 0;
    if (q !== "uniform") for (let c = 0; c < C; c++) qs += q[i * C + c]!;
    for (let c = 0; c < C; c++) {
      const qc = q === "uniform" || qs <= 0 ? 1 / C : q[i * C + c]! / qs;
      out[i * C + c] = (c === y ? 1 - eps : 0) + eps * qc;
    }
  }
  return out;
}

/** Convenience: soft labels from any aggregation result (its posteriors) or from the raw crowd. */
export function softLabelsFrom(source: TAggregateResult | TVoteSet): Float64Array {
  return "posteriors" in source ? Float64Array.from(source.posteriors) : softLabels(source);
}
