import { describe, expect, it } from "vitest";
import { buildPanelPrior, calibrateModel, modelVerdict } from "./model-rule";

const C = 4;
const POLICY = { minVotes: 2, maxVotes: 10, targetConfidence: 0.99 };
const P = [0.9, 0.04, 0.03, 0.03];
// Complete panels about each class, mostly unanimous-ish, and one incomplete row (ignored).
const PANELS = [
  ...Array.from({ length: 12 }, (_, i) => {
    const c = i % C;
    const row = [0, 0, 0, 0];
    row[c] = i < 8 ? 9 : 7;
    row[(c + 1) % C] = 10 - row[c]!;
    return row;
  }).flat(),
  3,
  0,
  0,
  0,
];

describe("buildPanelPrior", () => {
  it("counts the complete panels and refuses without any", () => {
    expect(buildPanelPrior(PANELS, C, 10)?.panels).toBe(12);
    expect(buildPanelPrior([3, 0, 0, 0], C, 10)).toBeNull();
  });
});

describe("calibrateModel", () => {
  it("fits on the voted images and needs at least one vote", () => {
    const { prior } = buildPanelPrior(PANELS, C, 10)!;
    const counts = [2, 0, 0, 0, 0, 3, 0, 0];
    const probs = [...P, 0.05, 0.85, 0.05, 0.05];
    expect(calibrateModel(prior, counts, probs, C)).toMatchObject({ numModelClasses: C, items: 2 });
    expect(calibrateModel(prior, [0, 0, 0, 0], P, C)).toBeNull();
  });
});

describe("modelVerdict", () => {
  const { prior } = buildPanelPrior(PANELS, C, 10)!;
  const rule = { prior, calibration: { numModelClasses: C, temperature: 1, mix: 0 } };

  it("stops agreeing votes before disagreeing ones, never below minVotes", () => {
    expect(modelVerdict([1, 0, 0, 0], P, rule, POLICY).done).toBe(false); // below minVotes
    expect(modelVerdict([3, 0, 0, 0], P, rule, POLICY).done).toBe(true);
    expect(modelVerdict([0, 3, 0, 0], P, rule, POLICY).done).toBe(false);
    expect(modelVerdict([0, 0, 0, 0], P, rule, POLICY).stopOn).toEqual([]); // one vote cannot reach minVotes
  });

  it("stops at maxVotes and past it (a raised target), where the panel prior has nothing to say", () => {
    expect(modelVerdict([4, 5, 0, 0], P, rule, POLICY).stopOn).toEqual([0, 1, 2, 3]); // the next vote is the 10th
    expect(modelVerdict([5, 5, 0, 0], P, rule, POLICY)).toEqual({ done: true, stopOn: [0, 1, 2, 3] });
    expect(modelVerdict([6, 6, 0, 0], P, rule, POLICY)).toEqual({ done: true, stopOn: [0, 1, 2, 3] });
  });

  it("lists exactly the labels whose next vote finishes the image", () => {
    for (const counts of [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [1, 1, 0, 0],
      [2, 1, 0, 0],
      [0, 3, 0, 0],
      [2, 0, 0, 0],
    ]) {
      const { stopOn } = modelVerdict(counts, P, rule, POLICY);
      for (let l = 0; l < C; l++) {
        const next = counts.map((x, c) => x + (c === l ? 1 : 0));
        expect(stopOn.includes(l), `${counts} + ${l}`).toBe(modelVerdict(next, P, rule, POLICY).done);
      }
    }
  });
});
