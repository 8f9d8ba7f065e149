import { createRng } from "../src/methods/common";
import type { TVoteColumns } from "../src/types";

export type TSynthetic = {
  votes: TVoteColumns;
  truth: Int32Array;
  numItems: number;
  numWorkers: number;
  numClasses: number;
};

/**
 * Synthetic crowd: Zipf-ish class priors, workers with accuracy in [0.35, 0.95] whose errors favour two
 * "confusable" classes (like neutral/sadness in FER+), each item labelled by `votesPerItem` distinct workers.
 */
export function synthesizeCrowd(
  numItems: number,
  votesPerItem: number,
  numWorkers: number,
  numClasses: number,
  seed = 7,
): TSynthetic {
  const rng = createRng(seed);
  const C = numClasses;
  const prior = Array.from({ length: C }, (_, c) => 1 / (c + 1));
  const pz = prior.reduce((a, b) => a + b, 0);
  const cum: number[] = [];
  let acc0 = 0;
  for (const p of prior) {
    acc0 += p / pz;
    cum.push(acc0);
  }
  const acc = Float64Array.from({ length: numWorkers }, () => 0.35 + 0.6 * rng());
  const n = numItems * votesPerItem;
  const item = new Int32Array(n);
  const worker = new Int32Array(n);
  const label = new Int32Array(n);
  const truth = new Int32Array(numItems);
  const picked = new Set<number>();
  let v = 0;
  for (let i = 0; i < numItems; i++) {
    const u = rng();
    let z = cum.findIndex((x) => u < x);
    if (z < 0) z = C - 1;
    truth[i] = z;
    picked.clear();
    while (picked.size < votesPerItem) picked.add(Math.floor(rng() * numWorkers));
    for (const w of picked) {
      let l = z;
      if (rng() >= acc[w]!) {
        const r = rng();
        // Half of the errors go to the "neighbour" class, the rest uniformly elsewhere.
        l = r < 0.5 ? (z + 1) % C : (z + 1 + Math.floor(rng() * (C - 1))) % C;
        if (l === z) l = (z + 1) % C;
      }
      item[v] = i;
      worker[v] = w;
      label[v] = l;
      v++;
    }
  }
  return { votes: { item, worker, label }, truth, numItems, numWorkers, numClasses };
}
