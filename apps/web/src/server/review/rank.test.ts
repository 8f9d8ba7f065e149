import { createModelPanelPrior, fitPanelPrior } from "@concord/crowd";
import { describe, expect, it } from "vitest";
import { rankSuspects } from "./rank";

// 3 vote classes, the model knows all 3. Items: 0 = [2, 0, 0] the model says class 1; 1 = [1, 1, 0] the model
// splits 0/1; 2 = no votes.
const input = {
  numClasses: 3,
  numModelClasses: 3,
  counts: [2, 0, 0, 1, 1, 0, 0, 0, 0],
  probs: [0.2, 0.7, 0.1, 0.5, 0.5, 0, 0.3, 0.3, 0.4],
  labels: [0, 0, -1],
};

describe("rankSuspects", () => {
  it("without complete panels: crowd's product method, 1 - the crowd label's posterior, by hand", () => {
    const r = rankSuspects(input, null);
    expect(r.methods).toEqual(["product", "product", "product"]);
    // Pairwise agreement 2 of 4 pairs -> one-coin accuracy 2/3, a wrong vote 1/6 per class: item 0's
    // posterior of class 0 is 0.2 (2/3)^2 / (0.2 (2/3)^2 + 0.7 (1/6)^2 + 0.1 (1/6)^2) = 0.8.
    expect(r.scores[0]).toBeCloseTo(0.2, 6);
    expect(r.scores[1]).toBeCloseTo(0.5, 4);
    expect(r.scores[2]).toBe(0); // no crowd label: not a suspect
    expect(r.suggested[2]).toBe(-1);
  });

  it("with complete panels: crowd's bayes-panel method; a contradicted label ranks above a confirmed one", () => {
    const panels = [10, 0, 0, 9, 1, 0, 0, 10, 0, 1, 9, 0, 0, 0, 10, 8, 2, 0];
    const prior = createModelPanelPrior(fitPanelPrior(panels, 3, 10));
    const r = rankSuspects(
      {
        ...input,
        counts: [2, 1, 0, 2, 1, 0, 11, 1, 0],
        probs: [0.05, 0.9, 0.05, 0.9, 0.05, 0.05, 0.9, 0.05, 0.05],
        labels: [0, 0, 0],
      },
      { prior, panelSize: 10 },
    );
    // The third item has more votes than a panel: scored by product instead (the panel prior cannot).
    expect(r.methods).toEqual(["bayes-panel", "bayes-panel", "product"]);
    expect(r.scores[0]).toBeGreaterThan(r.scores[1]!);
    for (const s of r.scores) expect(s >= 0 && s <= 1).toBe(true);
  });
});
