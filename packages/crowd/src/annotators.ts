import type { TAggregateResult, TGoldInput, TVoteSet } from "./types";
import { goldToArray, itemCounts } from "./vote-set";

export type TAnnotatorStats = {
  worker: number;
  votes: number;
  /** Agreement with the plurality of the other votes on the same items (ties give 1/k credit); NaN if none scorable. */
  looAccuracy: number;
  /** Votes on items that had at least one other vote. */
  looVotes: number;
  /** Accuracy on gold items; NaN when the worker voted on none. */
  goldAccuracy: number;
  goldVotes: number;
};

/** Per-annotator accuracy against leave-one-out consensus (identified votes + tallies) and, optionally, gold. */
export function annotatorStats(set: TVoteSet, options: { gold?: TGoldInput } = {}): TAnnotatorStats[] {
  const C = set.numClasses;
  const counts = itemCounts(set);
  const gold = options.gold ? goldToArray(set, options.gold) : null;
  const stats: TAnnotatorStats[] = [];
  for (let w = 0; w < set.numWorkers; w++) {
    let loo = 0;
    let looN = 0;
    let g = 0;
    let gN = 0;
    const from = set.workerOffsets[w]!;
    const to = set.workerOffsets[w + 1]!;
    for (let j = from; j < to; j++) {
      const k = set.workerVotes[j]!;
      const i = set.voteItem[k]!;
      const l = set.voteLabel[k]!;
      if (gold && gold[i]! >= 0) {
        gN++;
        if (gold[i] === l) g++;
      }
      let max = 0;
      for (let c = 0; c < C; c++) max = Math.max(max, counts[i * C + c]! - (c === l ? 1 : 0));
      if (max <= 0) continue;
      let ties = 0;
      for (let c = 0; c < C; c++) if (counts[i * C + c]! - (c === l ? 1 : 0) === max) ties++;
      looN++;
      if (counts[i * C + l]! - 1 === max) loo += 1 / ties;
    }
    stats.push({
      worker: w,
      votes: to - from,
      looAccuracy: looN ? loo / looN : Number.NaN,
      looVotes: looN,
      goldAccuracy: gN ? g / gN : Number.NaN,
      goldVotes: gN,
    });
  }
  return stats;
}

/** Accuracy of each identified worker on gold items (NaN when the worker has no gold votes). */
export function workerGoldAccuracy(set: TVoteSet, gold: TGoldInput): Float64Array {
  return Float64Array.from(annotatorStats(set, { gold }), (s) => s.goldAccuracy);
}

export type TGoldAccuracy = { accuracy: number; correct: number; items: number; excluded: number };

/**
 * Accuracy of an aggregation on gold items. "split" (default) credits 1/k when the gold class is one of
 * k classes tied at the posterior maximum (the usual convention for majority vote); "hard" compares
 * `labels`. Excluded items (label -1) count as wrong and are reported in `excluded`.
 */
export function accuracyOnGold(
  result: TAggregateResult,
  gold: Int32Array,
  options: { ties?: "split" | "hard" } = {},
): TGoldAccuracy {
  const C = result.numClasses;
  if (gold.length !== result.numItems)
    throw new RangeError(`gold has ${gold.length} entries, result has ${result.numItems}`);
  let correct = 0;
  let items = 0;
  let excluded = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    if (g < 0) continue;
    items++;
    if (result.labels[i]! < 0) {
      excluded++;
      continue;
    }
    if (options.ties === "hard") {
      if (result.labels[i] === g) correct++;
      continue;
    }
    let max = 0;
    for (let c = 0; c < C; c++) max = Math.max(max, result.posteriors[i * C + c]!);
    const eps = max * 1e-9;
    let ties = 0;
    for (let c = 0; c < C; c++) if (result.posteriors[i * C + c]! >= max - eps) ties++;
    if (result.posteriors[i * C + g]! >= max - eps) correct += 1 / ties;
  }
  return { accuracy: items ? correct / items : Number.NaN, correct, items, excluded };
}
