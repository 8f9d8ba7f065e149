import type { TAggregateResult, TVoteSet } from "../types";
import { itemCounts } from "../vote-set";
import { createRng, emptyResult, type TResolved } from "./common";

/**
 * Majority vote over identified votes plus tallies, optionally weighted per worker. Posterior = vote
 * shares. Tie policy: the hard label is the lowest tied class index, or a seeded random tied class;
 * accuracyOnGold splits a tie evenly (1/k correct when gold is one of k tied classes).
 */
export function majorityVote(
  set: TVoteSet,
  opts: TResolved,
  workerWeight: Float64Array | null = null,
  anonymousWeight = 1,
): TAggregateResult {
  const C = set.numClasses;
  const res = emptyResult(set, "mv");
  const scores = workerWeight ? weightedCounts(set, workerWeight, anonymousWeight) : itemCounts(set);
  const rng = createRng(opts.seed);
  const post = res.posteriors;
  for (let i = 0; i < set.numItems; i++) {
    const row = i * C;
    let max = 0;
    for (let c = 0; c < C; c++) max = Math.max(max, scores[row + c]!);
    if (max <= 0) continue;
    // Relative tolerance so float weights that are equal in exact arithmetic still tie.
    const eps = max * 1e-12;
    let ties = 0;
    for (let c = 0; c < C; c++) if (scores[row + c]! >= max - eps) ties++;
    const pick = opts.tieBreak === "random" ? Math.floor(rng() * ties) : 0;
    let seen = 0;
    let total = 0;
    for (let c = 0; c < C; c++) total += scores[row + c]!;
    for (let c = 0; c < C; c++) {
      post[row + c] = scores[row + c]! / total;
      if (scores[row + c]! >= max - eps) {
        if (seen === pick) res.labels[i] = c;
        seen++;
      }
    }
  }
  return res;
}

export function weightedCounts(
  set: TVoteSet,
  workerWeight: Float64Array,
  anonymousWeight: number,
): Float64Array {
  const C = set.numClasses;
  const out = new Float64Array(set.numItems * C);
  if (set.tallies) for (let j = 0; j < out.length; j++) out[j] = set.tallies[j]! * anonymousWeight;
  for (let k = 0; k < set.numVotes; k++) {
    out[set.voteItem[k]! * C + set.voteLabel[k]!]! += workerWeight[set.voteWorker[k]!]!;
  }
  return out;
}
