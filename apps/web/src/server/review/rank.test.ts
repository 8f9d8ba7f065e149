import { describe, expect, it } from "vitest";
import { scoreSuspects } from "./rank";

describe("scoreSuspects (interim ranking)", () => {
  it("is 1 - the crowd label's posterior under model x one-coin votes, by hand", () => {
    // Pairwise agreement: item 0 has 2 agreeing pairs of 2, item 1 none of 2 -> q = 0.5, so with C = 3 the
    // one-coin accuracy is (1 + sqrt(2 * (3 * 0.5 - 1))) / 3 = 2/3 and a wrong vote has 1/6 per class.
    const scores = scoreSuspects({
      numClasses: 3,
      numModelClasses: 3,
      counts: [2, 0, 0, 1, 1, 0, 0, 0, 0],
      probs: [0.2, 0.7, 0.1, 0.5, 0.5, 0, 0.3, 0.3, 0.4],
      labels: [0, 0, -1],
    });
    // Item 0: 0.2 * (2/3)^2 vs 0.7 * (1/6)^2 and 0.1 * (1/6)^2 -> posterior of class 0 = 0.8.
    expect(scores[0]).toBeCloseTo(0.2, 9);
    // Item 1: one vote each for 0 and 1, the model splits them evenly: a coin flip (class 2 has no mass).
    expect(scores[1]).toBeCloseTo(0.5, 5);
    // No crowd label: not a suspect.
    expect(scores[2]).toBe(0);
  });

  it("ranks a label the model contradicts above one it confirms, and vote classes outside the model count", () => {
    const scores = scoreSuspects({
      numClasses: 4, // the 4th vote class (e.g. unknown) is outside the model
      numModelClasses: 3,
      counts: [3, 1, 0, 0, 3, 1, 0, 0, 0, 0, 0, 2],
      probs: [0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.4, 0.3, 0.3],
      labels: [0, 0, 3],
    });
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    expect(scores[2]).toBeGreaterThan(0);
    expect(scores[2]).toBeLessThan(1);
  });
});
