import type { TGoldInput, TTally, TVote, TVoteColumns, TVoteSet, TVoteSetInput } from "./types";

export class VoteSetError extends Error {
  override name = "VoteSetError";
}

function isColumns(votes: readonly TVote[] | TVoteColumns): votes is TVoteColumns {
  return !Array.isArray(votes);
}

function checkInt(value: number, max: number, what: string, where: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= max) {
    throw new VoteSetError(`vote ${where}: ${what} ${value} is not an integer in [0, ${max})`);
  }
}

/**
 * Builds the sparse vote set. Validates every id; one vote per (item, worker) pair, as the database
 * enforces, so a duplicate is an error rather than a silent double count, unless `allowRepeats` (the
 * keep-all policy for vote files) makes each repeat a vote of its own.
 */
export function buildVoteSet(input: TVoteSetInput): TVoteSet {
  const C = input.numClasses;
  if (!Number.isInteger(C) || C < 2) throw new VoteSetError(`numClasses must be an integer >= 2, got ${C}`);
  const votes = input.votes ?? [];
  const n = isColumns(votes) ? votes.item.length : votes.length;
  const rawItem = new Int32Array(n);
  const rawWorker = new Int32Array(n);
  const rawLabel = new Int32Array(n);
  let maxItem = -1;
  let maxWorker = -1;
  for (let v = 0; v < n; v++) {
    let it: number;
    let wk: number;
    let lb: number;
    if (isColumns(votes)) {
      it = votes.item[v]!;
      wk = votes.worker[v]!;
      lb = votes.label[v]!;
    } else {
      const vote = votes[v]!;
      it = vote.item;
      wk = vote.worker;
      lb = vote.label;
    }
    checkInt(it, input.numItems ?? 2 ** 31 - 1, "item", v);
    checkInt(wk, input.numWorkers ?? 2 ** 31 - 1, "worker", v);
    checkInt(lb, C, "label", v);
    rawItem[v] = it;
    rawWorker[v] = wk;
    rawLabel[v] = lb;
    if (it > maxItem) maxItem = it;
    if (wk > maxWorker) maxWorker = wk;
  }

  const tallyRows = input.tallies;
  let tallies: Float64Array | null = null;
  let numItems = input.numItems ?? maxItem + 1;
  if (tallyRows !== undefined) {
    if (Array.isArray(tallyRows) && (tallyRows.length === 0 || typeof tallyRows[0] === "object")) {
      const list = tallyRows as readonly TTally[];
      for (const t of list) if (input.numItems === undefined && t.item + 1 > numItems) numItems = t.item + 1;
      tallies = new Float64Array(numItems * C);
      list.forEach((t, i) => {
        checkInt(t.item, numItems, "tally item", i);
        if (t.counts.length !== C)
          throw new VoteSetError(`tally ${i}: expected ${C} counts, got ${t.counts.length}`);
        for (let c = 0; c < C; c++) {
          const x = t.counts[c]!;
          if (!(x >= 0) || !Number.isFinite(x)) throw new VoteSetError(`tally ${i}: count ${x} is not >= 0`);
          tallies![t.item * C + c]! += x;
        }
      });
    } else {
      const dense = tallyRows as ArrayLike<number>;
      if (dense.length % C !== 0)
        throw new VoteSetError(`dense tallies length ${dense.length} is not a multiple of ${C}`);
      if (input.numItems === undefined) numItems = Math.max(numItems, dense.length / C);
      if (dense.length !== numItems * C)
        throw new VoteSetError(`dense tallies must be numItems x numClasses`);
      tallies = Float64Array.from(dense);
      for (const x of tallies)
        if (!(x >= 0) || !Number.isFinite(x)) throw new VoteSetError(`tally count ${x} is not >= 0`);
    }
  }
  const numWorkers = input.numWorkers ?? maxWorker + 1;

  // Counting sort by item, then by worker inside an item, so every method sees the same order.
  const itemOffsets = new Int32Array(numItems + 1);
  for (let v = 0; v < n; v++) itemOffsets[rawItem[v]! + 1]!++;
  for (let i = 0; i < numItems; i++) itemOffsets[i + 1]! += itemOffsets[i]!;
  const order = new Int32Array(n);
  const cursor = itemOffsets.slice(0, numItems);
  for (let v = 0; v < n; v++) order[cursor[rawItem[v]!]!++] = v;
  for (let i = 0; i < numItems; i++) {
    const slice = order.subarray(itemOffsets[i]!, itemOffsets[i + 1]!);
    slice.sort((a, b) => rawWorker[a]! - rawWorker[b]!);
    if (input.allowRepeats) continue;
    for (let k = 1; k < slice.length; k++) {
      if (rawWorker[slice[k]!] === rawWorker[slice[k - 1]!]) {
        throw new VoteSetError(
          `duplicate vote: worker ${rawWorker[slice[k]!]} on item ${i} (votes ${slice[k - 1]}, ${slice[k]})`,
        );
      }
    }
  }
  const voteItem = new Int32Array(n);
  const voteWorker = new Int32Array(n);
  const voteLabel = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const v = order[k]!;
    voteItem[k] = rawItem[v]!;
    voteWorker[k] = rawWorker[v]!;
    voteLabel[k] = rawLabel[v]!;
  }
  const workerOffsets = new Int32Array(numWorkers + 1);
  for (let k = 0; k < n; k++) workerOffsets[voteWorker[k]! + 1]!++;
  for (let w = 0; w < numWorkers; w++) workerOffsets[w + 1]! += workerOffsets[w]!;
  const workerVotes = new Int32Array(n);
  const wcur = workerOffsets.slice(0, numWorkers);
  for (let k = 0; k < n; k++) workerVotes[wcur[voteWorker[k]!]!++] = k;

  return {
    numItems,
    numWorkers,
    numClasses: C,
    numVotes: n,
    itemOffsets,
    voteItem,
    voteWorker,
    voteLabel,
    workerOffsets,
    workerVotes,
    tallies,
  };
}

/** Dense numItems x numClasses counts: identified votes plus anonymous tallies. */
export function itemCounts(set: TVoteSet): Float64Array {
  const C = set.numClasses;
  const counts = set.tallies ? Float64Array.from(set.tallies) : new Float64Array(set.numItems * C);
  for (let k = 0; k < set.numVotes; k++) counts[set.voteItem[k]! * C + set.voteLabel[k]!]! += 1;
  return counts;
}

/** Dense gold array (length numItems, -1 = no gold), validated against the vote set. */
export function goldToArray(set: TVoteSet, gold: TGoldInput): Int32Array {
  if (gold instanceof Int32Array) {
    if (gold.length !== set.numItems)
      throw new VoteSetError(`gold has ${gold.length} entries, vote set has ${set.numItems} items`);
    for (const g of gold)
      if (g < -1 || g >= set.numClasses) throw new VoteSetError(`gold label ${g} out of range`);
    return gold;
  }
  const out = new Int32Array(set.numItems).fill(-1);
  gold.forEach((g, i) => {
    checkInt(g.item, set.numItems, "gold item", i);
    checkInt(g.label, set.numClasses, "gold label", i);
    out[g.item] = g.label;
  });
  return out;
}
