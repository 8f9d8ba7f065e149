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

  it("relabel priority: P(the suggested label is wrong), not P(the crowd label is wrong), by hand", () => {
    // Two classes; ordered agreeing vote pairs 2 + 2 + 0 of 6: P(agree) = 2/3 = a^2 + (1 - a)^2, a = 0.5 +
    // sqrt(1/12). Item 2 is a 1-1 split labelled 0 (the crowd's tie to the lowest class) and the model says 1
    // with 0.8: the likelihood cancels, so the crowd label is wrong with 0.8 but the suggested label (1) only
    // with 0.2. Items 0 and 1 keep their labels: both figures are the same there.
    const a = 0.5 + Math.sqrt(1 / 12);
    const r = rankSuspects(
      {
        numClasses: 2,
        numModelClasses: 2,
        counts: [2, 0, 0, 2, 1, 1],
        probs: [0.1, 0.9, 0.5, 0.5, 0.2, 0.8],
        labels: [0, 1, 0],
      },
      null,
    );
    const p0 = (0.1 * a * a) / (0.1 * a * a + 0.9 * (1 - a) ** 2); // 0.6075
    const p1 = (a * a) / (a * a + (1 - a) ** 2); // 0.933
    expect(Array.from(r.suggested)).toEqual([0, 1, 1]);
    expect(r.scores[2]).toBeCloseTo(0.8, 10);
    expect(r.suggestedWrong[2]).toBeCloseTo(0.2, 10);
    expect(r.suggestedWrong[0]).toBeCloseTo(1 - p0, 10);
    expect(r.suggestedWrong[1]).toBeCloseTo(1 - p1, 10);
    // The two orders, highest first: the suspects' 2, 0, 1; the relabel priority's 0, 2, 1.
    const by = (key: Float64Array) => [0, 1, 2].sort((i, j) => key[j]! - key[i]!);
    expect(by(r.scores)).toEqual([2, 0, 1]);
    expect(by(r.suggestedWrong)).toEqual([0, 2, 1]);
  });

  it("with complete panels: crowd's bayes-panel method; a contradicted label ranks above a confirmed one", () => {
    const panels = [10, 0, 0, 9, 1, 0, 0, 10, 0, 1, 9, 0, 0, 0, 10, 8, 2, 0];
    const prior = createModelPanelPrior(fitPanelPrior(panels, 3, 10));
    const r = rankSuspects(
      {
        ...input,
        counts: [2, 1, 0, 2, 1, 0, 9, 1, 0, 11, 1, 0],
        probs: [0.05, 0.9, 0.05, 0.9, 0.05, 0.05, 0.9, 0.05, 0.05, 0.9, 0.05, 0.05],
        labels: [0, 0, 0, 0],
      },
      { prior, panelSize: 10 },
    );
    // A complete panel (10 votes) or more already is the panel's answer: scored by product instead.
    expect(r.methods).toEqual(["bayes-panel", "bayes-panel", "product", "product"]);
    expect(r.scores[0]).toBeGreaterThan(r.scores[1]!);
    for (const s of r.scores) expect(s >= 0 && s <= 1).toBe(true);
    // The suggested label is the most probable class under the same method's posterior: never less likely
    // than the crowd label (the same when they agree), and at least 1/3 likely with 3 classes.
    r.suggestedWrong.forEach((w, i) => {
      if (r.suggested[i] === 0) expect(w).toBeCloseTo(r.scores[i]!, 12);
      else expect(w).toBeLessThanOrEqual(r.scores[i]! + 1e-12);
      expect(w).toBeLessThanOrEqual(2 / 3 + 1e-12);
    });
  });
});
