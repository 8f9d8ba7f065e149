import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate, buildVoteSet, METHODS, type TMethod, type TVote } from "../src/index";

const C = 3;
// Random sparse vote sets: up to 8 items x 6 workers, each (item, worker) voting at most once.
const arbVotes = fc
  .uniqueArray(
    fc.record({ item: fc.nat({ max: 7 }), worker: fc.nat({ max: 5 }), label: fc.nat({ max: C - 1 }) }),
    { minLength: 1, maxLength: 40, selector: (v) => `${v.item}:${v.worker}` },
  )
  .map((votes) => votes as TVote[]);
const arbPerm = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

// EM methods sum on a fixed-point grid (onGrid), so relabelling ids gives bit-identical results. MACE runs
// without its random restarts here: they draw parameters in worker order, so relabelling workers changes
// which random start each worker gets (still deterministic for a seed).
const EM: TMethod[] = ["onecoin", "ds", "glad", "mace"];
// Closed-form and voting methods may differ in the last bit (no iteration amplifies it).
const VOTING: TMethod[] = ["mv", "wawa", "zbs"];
const PERMUTATION_SAFE: TMethod[] = [...VOTING, ...EM];

function permutationInvariant(votes: TVote[], pi: number[], pw: number[]): void {
  const a = buildVoteSet({ numClasses: C, numItems: 8, numWorkers: 6, votes });
  const b = buildVoteSet({
    numClasses: C,
    numItems: 8,
    numWorkers: 6,
    votes: votes.map((v) => ({ item: pi[v.item]!, worker: pw[v.worker]!, label: v.label })),
  });
  for (const m of PERMUTATION_SAFE) {
    const ra = aggregate(a, m, { restarts: 0 });
    const rb = aggregate(b, m, { restarts: 0 });
    const same = (x: number, y: number) =>
      EM.includes(m) ? expect(x, m).toBe(y) : expect(x, m).toBeCloseTo(y, 9);
    for (let i = 0; i < 8; i++) {
      for (let c = 0; c < C; c++) same(rb.posteriors[pi[i]! * C + c]!, ra.posteriors[i * C + c]!);
      expect(rb.labels[pi[i]!], m).toBe(ra.labels[i]);
    }
    if (ra.workerSkill) for (let w = 0; w < 6; w++) same(rb.workerSkill![pw[w]!]!, ra.workerSkill[w]!);
  }
}

describe("properties", () => {
  // Fixed seeds: the property once failed on an unseeded run and was not reproduced. 300 seeds x 60 runs
  // found it again (seed 77; also 550 and 664 for ds, 509, 834 and 896 for one-coin): a crowd symmetric
  // between two classes leaves EM on a saddle, and the order of float additions (which follows the ids)
  // decided which mirror-image optimum it fell into (one-coin 0.49213084 vs 0.49213080; ds 0.048 vs 0.467).
  it.each([77, 550, 896, 20261125])(
    "permuting worker ids and item ids permutes the result and changes nothing else (seed %i)",
    (seed) => {
      fc.assert(fc.property(arbVotes, arbPerm(8), arbPerm(6), permutationInvariant), { numRuns: 60, seed });
    },
  );

  it("regression: the counterexample of seed 77 (one-coin, items 1 and 3 mirror each other in classes 0 / 2)", () => {
    const votes: TVote[] = [
      { item: 1, worker: 4, label: 0 },
      { item: 3, worker: 4, label: 1 },
      { item: 1, worker: 3, label: 1 },
      { item: 2, worker: 2, label: 0 },
      { item: 0, worker: 1, label: 0 },
      { item: 5, worker: 1, label: 2 },
      { item: 4, worker: 5, label: 1 },
      { item: 1, worker: 5, label: 2 },
      { item: 2, worker: 0, label: 2 },
    ];
    permutationInvariant(votes, [7, 6, 3, 2, 0, 4, 1, 5], [5, 1, 4, 3, 0, 2]);
  });

  it("unanimous votes give certainty (every method, including the FER+ schemes)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 3, max: 6 }),
        (labels, k) => {
          const votes = labels.flatMap((label, item) =>
            Array.from({ length: k }, (_, worker) => ({ item, worker, label })),
          );
          const set = buildVoteSet({ numClasses: 10, votes });
          for (const m of METHODS) {
            const r = aggregate(set, m);
            labels.forEach((label, i) => {
              expect(r.labels[i]).toBe(label);
              expect(r.posteriors[i * 10 + label]).toBeGreaterThan(0.99);
            });
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("posteriors are distributions and labels their argmax", () => {
    fc.assert(
      fc.property(arbVotes, (votes) => {
        const set = buildVoteSet({ numClasses: C, votes });
        for (const m of PERMUTATION_SAFE) {
          const r = aggregate(set, m);
          for (let i = 0; i < set.numItems; i++) {
            const row = Array.from(r.posteriors.subarray(i * C, i * C + C));
            const s = row.reduce((x, y) => x + y, 0);
            if (r.labels[i]! < 0) expect(s).toBe(0);
            else {
              expect(s).toBeCloseTo(1, 9);
              expect(row[r.labels[i]!]).toBe(Math.max(...row));
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
