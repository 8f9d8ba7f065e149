import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregate, buildVoteSet, type TMethod, type TVote } from "../src/index";

const C = 3;
// Random sparse vote sets: up to 8 items x 6 workers, each (item, worker) voting at most once.
const arbVotes = fc
  .uniqueArray(
    fc.record({ item: fc.nat({ max: 7 }), worker: fc.nat({ max: 5 }), label: fc.nat({ max: C - 1 }) }),
    { minLength: 1, maxLength: 40, selector: (v) => `${v.item}:${v.worker}` },
  )
  .map((votes) => votes as TVote[]);
const arbPerm = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });

// MACE is left out of the worker-permutation property: its seeded random restarts draw parameters in
// worker order, so relabelling workers changes which random start each worker gets (still deterministic).
const PERMUTATION_SAFE: TMethod[] = ["mv", "wawa", "zbs", "onecoin", "ds", "glad"];

describe("properties", () => {
  it("permuting worker ids and item ids permutes the result and changes nothing else", () => {
    fc.assert(
      fc.property(arbVotes, arbPerm(8), arbPerm(6), (votes, pi, pw) => {
        const a = buildVoteSet({ numClasses: C, numItems: 8, numWorkers: 6, votes });
        const b = buildVoteSet({
          numClasses: C,
          numItems: 8,
          numWorkers: 6,
          votes: votes.map((v) => ({ item: pi[v.item]!, worker: pw[v.worker]!, label: v.label })),
        });
        for (const m of PERMUTATION_SAFE) {
          const ra = aggregate(a, m);
          const rb = aggregate(b, m);
          for (let i = 0; i < 8; i++) {
            for (let c = 0; c < C; c++) {
              expect(rb.posteriors[pi[i]! * C + c]).toBeCloseTo(ra.posteriors[i * C + c]!, 9);
            }
          }
          if (ra.workerSkill)
            for (let w = 0; w < 6; w++) expect(rb.workerSkill![pw[w]!]).toBeCloseTo(ra.workerSkill[w]!, 9);
        }
      }),
      { numRuns: 60 },
    );
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
          const methods: TMethod[] = [
            "mv",
            "wawa",
            "zbs",
            "onecoin",
            "ds",
            "glad",
            "mace",
            "ferplus-majority",
            "ferplus-probability",
            "ferplus-crossentropy",
            "ferplus-multitarget",
          ];
          for (const m of methods) {
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
        for (const m of [...PERMUTATION_SAFE, "mace"] as TMethod[]) {
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
