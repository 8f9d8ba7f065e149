import { describe, expect, it } from "vitest";
import { fitModelStoppingPrior, modelVerdict } from "./model-rule";

const C = 4;
const POLICY = { minVotes: 2, maxVotes: 10, targetConfidence: 0.99 };
const P = [0.9, 0.04, 0.03, 0.03];
const panels = (rows: number[][]) => rows.flat();

describe("fitModelStoppingPrior", () => {
  it("trusts the model more when complete panels agree with it", () => {
    const agreeing = Array.from({ length: 30 }, (_, i) => (i % 3 ? [10, 0, 0, 0] : [8, 2, 0, 0]));
    const mixed = Array.from({ length: 30 }, (_, i) => (i % 2 ? [10, 0, 0, 0] : [2, 8, 0, 0]));
    const probs = Array.from({ length: 30 }, () => P).flat();
    const a = fitModelStoppingPrior(panels(agreeing), probs, C, C)!;
    const b = fitModelStoppingPrior(panels(mixed), probs, C, C)!;
    expect(a.panels).toBe(30);
    expect(a.concentration).toBeGreaterThan(b.concentration);
  });

  it("needs an image with 2 votes", () => {
    expect(fitModelStoppingPrior([1, 0, 0, 0, 0, 0, 0, 0], [...P, ...P], C, C)).toBeNull();
  });
});

describe("modelVerdict", () => {
  const prior = { numClasses: C, numModelClasses: C, concentration: 5, panels: 30 };

  it("stops agreeing votes before disagreeing ones, never below minVotes", () => {
    expect(modelVerdict([1, 0, 0, 0], P, prior, POLICY).done).toBe(false); // below minVotes
    expect(modelVerdict([2, 0, 0, 0], P, prior, POLICY).done).toBe(true);
    expect(modelVerdict([0, 2, 0, 0], P, prior, POLICY).done).toBe(false);
    expect(modelVerdict([0, 0, 0, 0], P, prior, POLICY).stopOn).toEqual([]); // one vote cannot reach minVotes
  });

  it("lists exactly the labels whose next vote finishes the image", () => {
    for (const counts of [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [1, 1, 0, 0],
      [2, 1, 1, 0],
      [0, 3, 0, 0],
    ]) {
      const { stopOn } = modelVerdict(counts, P, prior, POLICY);
      for (let l = 0; l < C; l++) {
        const next = counts.map((x, c) => x + (c === l ? 1 : 0));
        expect(stopOn.includes(l), `${counts} + ${l}`).toBe(modelVerdict(next, P, prior, POLICY).done);
      }
    }
  });
});
