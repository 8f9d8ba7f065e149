import { describe, expect, it } from "vitest";
import {
  annotatorStats,
  buildVoteSet,
  fleissKappa,
  itemEntropy,
  krippendorffAlpha,
  perClassAgreement,
  percentAgreement,
  smoothTargets,
  softLabels,
  workerGoldAccuracy,
} from "../src/index";

// Fleiss (1971) worked example as reproduced on Wikipedia: 10 items, 14 raters, 5 categories.
const FLEISS = [
  [0, 0, 0, 0, 14],
  [0, 2, 6, 4, 2],
  [0, 0, 3, 5, 6],
  [0, 3, 9, 2, 0],
  [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0],
  [3, 2, 6, 3, 0],
  [2, 5, 3, 2, 2],
  [6, 5, 2, 1, 0],
  [0, 2, 2, 3, 7],
].flat();

// Krippendorff (2011) "Computing Krippendorff's alpha", nominal example: 4 coders, 12 units, missing data.
const KRIPP = [
  [3, 0, 0, 0, 0],
  [0, 3, 1, 0, 0],
  [0, 0, 4, 0, 0],
  [0, 0, 4, 0, 0],
  [0, 4, 0, 0, 0],
  [1, 1, 1, 1, 0],
  [0, 0, 0, 4, 0],
  [3, 1, 0, 0, 0],
  [0, 4, 0, 0, 0],
  [0, 0, 0, 0, 3],
  [2, 0, 0, 0, 0],
  [0, 0, 1, 0, 0],
].flat();

describe("agreement", () => {
  it("Fleiss' kappa matches the published example (0.210)", () => {
    const k = fleissKappa(FLEISS, 5);
    expect(k.kappa).toBeCloseTo(0.21, 3);
    expect(k.observedAgreement).toBeCloseTo(0.378, 3);
    expect(k.expectedAgreement).toBeCloseTo(0.213, 3);
    expect(Array.from(k.proportions).map((p) => Math.round(p * 1000) / 1000)).toEqual([
      0.143, 0.2, 0.279, 0.15, 0.229,
    ]);
    // Per-category kappa_1 = 1 - sum n(14-n) / (N n (n-1) p q); column 1 gives sum n(14-n) = 178, p = 1/7.
    expect(k.perCategory[0]).toBeCloseTo(1 - 178 / (10 * 14 * 13 * (1 / 7) * (6 / 7)), 12);
  });

  it("Krippendorff's alpha (nominal, missing data) matches the published 0.743", () => {
    const a = krippendorffAlpha(KRIPP, 5);
    expect(a.alpha).toBeCloseTo(0.743, 3);
    expect(a.pairable).toBe(40); // unit 12 has one value: not pairable
  });

  it("percent agreement, entropy and soft labels on tiny hand cases", () => {
    const counts = [2, 0, 1, 1, 0, 0];
    expect(percentAgreement(counts, 2)).toBe(0.5); // item 0: 1, item 1: 0, item 2 skipped
    expect(Array.from(itemEntropy(counts, 2))).toEqual([0, 1, 0]);
    const set = buildVoteSet({ numClasses: 2, tallies: counts });
    expect(Array.from(softLabels(set))).toEqual([1, 0, 0.5, 0.5, 0, 0]);
    expect(() => fleissKappa([1, 0], 2)).toThrow(/two or more votes/);
  });

  it("per-class agreement lines up with classes", () => {
    // item 0: 3 x class 0; item 1: 2 x class 0 + 1 x class 1.
    const rows = perClassAgreement([3, 0, 2, 1], 2);
    expect(rows.map((r) => r.support)).toEqual([2, 0]);
    // class 0 specific agreement: (3*2/2 + 2*1/2) / 5 = 4/5; class 1: 0 / 1
    expect(rows[0]!.specificAgreement).toBeCloseTo(0.8, 12);
    expect(rows[1]!.specificAgreement).toBe(0);
    expect(rows[0]!.meanItemAgreement).toBeCloseTo((1 + 1 / 3) / 2, 12);
  });

  it("annotator stats: leave-one-out consensus and gold accuracy", () => {
    const set = buildVoteSet({
      numClasses: 2,
      votes: [
        { item: 0, worker: 0, label: 0 },
        { item: 0, worker: 1, label: 0 },
        { item: 0, worker: 2, label: 1 },
        { item: 1, worker: 0, label: 1 },
        { item: 1, worker: 2, label: 0 },
        { item: 2, worker: 0, label: 1 },
      ],
    });
    const s = annotatorStats(set, { gold: [{ item: 0, label: 0 }] });
    // w0: item0 others (0,1) tie -> 1/2; item1 other (0) -> 0; item2 alone -> not scored.
    expect(s[0]).toMatchObject({ votes: 3, looVotes: 2, looAccuracy: 0.25, goldAccuracy: 1, goldVotes: 1 });
    // w2: item0 others (0,0) -> wrong; item1 other (1) -> wrong.
    expect(s[2]).toMatchObject({ looAccuracy: 0, goldAccuracy: 0 });
    expect(Array.from(workerGoldAccuracy(set, [{ item: 0, label: 0 }]))).toEqual([1, 1, 0]);
  });
});

describe("smoothTargets", () => {
  it("computes (1 - eps) onehot + eps q by hand", () => {
    const t = smoothTargets({
      consensus: Int32Array.from([1, -1]),
      numClasses: 3,
      eps: 0.1,
      q: [0.2, 0.5, 0.3, 1, 0, 0],
    });
    expect(Array.from(t.subarray(0, 3))).toEqual([0.02, 0.95, 0.03].map((x) => Math.fround(x)));
    expect(Array.from(t.subarray(3))).toEqual([0, 0, 0]);
    const u = smoothTargets({ consensus: Int32Array.from([0]), numClasses: 2, eps: 0.2, q: "uniform" });
    expect(Array.from(u)).toEqual([0.9, 0.1].map((x) => Math.fround(x)));
    expect(() =>
      smoothTargets({ consensus: Int32Array.from([0]), numClasses: 2, eps: 2, q: "uniform" }),
    ).toThrow(/eps/);
    expect(() => smoothTargets({ consensus: Int32Array.from([0]), numClasses: 2, eps: 0.1, q: [1] })).toThrow(
      /entries/,
    );
  });
});
