import { describe, expect, it } from "vitest";
import { accuracyOf, calibration, classReports, confusionMatrix, macroF1 } from "../src/evaluation/metrics";

describe("metrics on a hand-computed confusion matrix", () => {
  // true: a a a a b b b c c c ; pred: a a b c b b a c c b ; label -1 is skipped.
  const labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, -1];
  const preds = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1, 0];
  const m = confusionMatrix(labels, preds, 3);

  it("counts rows as true classes and columns as predictions", () => {
    expect(m).toEqual([
      [2, 1, 1],
      [1, 2, 0],
      [0, 1, 2],
    ]);
    expect(accuracyOf(m)).toBeCloseTo(6 / 10, 12);
  });

  it("gives per-class precision, recall, F1, support and macro-F1", () => {
    const r = classReports(m, ["a", "b", "c"]);
    // a: P = 2/3, R = 2/4, F1 = 2PR/(P+R) = 4/7; b: P = 2/4, R = 2/3, F1 = 4/7; c: P = 2/3, R = 2/3, F1 = 2/3.
    expect(r.map((c) => c.support)).toEqual([4, 3, 3]);
    expect(r[0]?.precision).toBeCloseTo(2 / 3, 12);
    expect(r[0]?.recall).toBeCloseTo(0.5, 12);
    expect(r[0]?.f1).toBeCloseTo(4 / 7, 12);
    expect(r[1]?.precision).toBeCloseTo(0.5, 12);
    expect(r[1]?.f1).toBeCloseTo(4 / 7, 12);
    expect(r[2]?.f1).toBeCloseTo(2 / 3, 12);
    expect(macroF1(r)).toBeCloseTo((4 / 7 + 4 / 7 + 2 / 3) / 3, 12);
  });

  it("scores a never-predicted class 0 and leaves absent classes out of macro-F1", () => {
    const r = classReports(confusionMatrix([0, 0, 1], [0, 0, 0], 3), ["a", "b", "c"]);
    expect(r[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r[2]?.support).toBe(0);
    expect(macroF1(r)).toBeCloseTo((0.8 + 0) / 2, 12);
  });

  it("rejects predictions outside the class range", () => {
    expect(() => confusionMatrix([0], [3], 3)).toThrow(/out of range/);
  });

  it("computes ECE from confidence bins", () => {
    // Two bins used (10 bins): 0.95 x2 (1 right) and 0.25 x2 (both wrong).
    const c = calibration([0.95, 0.95, 0.25, 0.25], [1, 0, 0, 0], 10);
    // |0.5 - 0.95| * 2/4 + |0 - 0.25| * 2/4 = 0.225 + 0.125
    expect(c.ece).toBeCloseTo(0.35, 12);
    expect(c.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(c.bins[2]).toMatchObject({ count: 2, accuracy: 0 });
  });
});
