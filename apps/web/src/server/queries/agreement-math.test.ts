import { describe, expect, it } from "vitest";
import { buildScatterPoints, pearson } from "./agreement-math";

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
