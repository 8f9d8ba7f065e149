import { describe, expect, it } from "vitest";
import { buildScatterPoints, looConfusion, median, pearson } from "./agreement-math";

describe("buildScatterPoints", () => {
  it("keeps one point per class with finite agreement and support", () => {
    const pts = buildScatterPoints({
      labels: ["x", "y", "z"],
      agreement: [
        { label: "x", value: 0.8 },
        { label: "y", value: Number.NaN },
        { label: "z", value: 0.3 },
      ],
      perClass: [
        { label: "x", f1: 0.9, support: 10 },
        { label: "y", f1: 0.5, support: 4 },
        { label: "z", f1: 0.2, support: 0 },
      ],
    });
    expect(pts).toEqual([{ label: "x", agreement: 0.8, f1: 0.9, support: 10 }]);
  });
});

describe("pearson", () => {
  it("is 1 for a perfect line and null for too few points", () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(pearson([1, 2], [1, 2])).toBeNull();
  });
});

describe("looConfusion", () => {
  it("counts each vote against the unique plurality of the other votes, skipping ties", () => {
    // item 0: w0=a, w1=a, w2=b  -> w0 vs {a,b} tie (skip); w1 vs {a,b} tie (skip); w2 vs {a:2} -> row a, col b
    // item 1: w0=c, tally [0,0,2] -> w0 vs {c:2} -> row c, col c
    const votes = { item: [0, 0, 0, 1], worker: [0, 1, 2, 0], label: [0, 0, 1, 2] };
    const counts = [2, 1, 0, 0, 0, 3];
    const m = looConfusion(votes, counts, 3, 3);
    expect(m[2]).toEqual([
      [0, 1, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(m[0]).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
    expect(m[1]!.flat().every((x) => x === 0)).toBe(true);
  });
});

describe("median", () => {
  it("handles odd, even and empty inputs", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
