import { describe, expect, it } from "vitest";
import {
  createStoppingPlan,
  dirichletPluralityProbabilities,
  fitPanelPrior,
  leadPolicy,
  needsMoreVotes,
  panelPluralityProbabilities,
  pluralityCredit,
  simulateOverlap,
  type TPanelPrior,
} from "../src/index";

describe("plurality probabilities", () => {
  it("Dirichlet(1,1), one vote seen, panel of 2: hand-computed Polya urn", () => {
    // Next vote is class 0 with (1 + 1) / (2 + 1) = 2/3 -> panel (2,0); else (1,1), a tie.
    const any = dirichletPluralityProbabilities([1, 0], 2, [1, 1]);
    expect(any[0]).toBeCloseTo(1, 12);
    expect(any[1]).toBeCloseTo(1 / 3, 12);
    const split = dirichletPluralityProbabilities([1, 0], 2, [1, 1], "plurality-split");
    expect(split[0]).toBeCloseTo(2 / 3 + 1 / 6, 12);
    const maj = dirichletPluralityProbabilities([1, 0], 2, [1, 1], "majority");
    expect(Array.from(maj).map((x) => Math.round(x * 1e12) / 1e12)).toEqual(
      [2 / 3, 0].map((x) => Math.round(x * 1e12) / 1e12),
    );
  });

  it("agrees with brute-force enumeration of the remaining votes", () => {
    const counts = [3, 1, 0, 2, 0];
    const alpha = [1, 0.5, 2, 1, 1];
    const a = alpha.map((x, c) => x + counts[c]!);
    const A = a.reduce((x, y) => x + y, 0);
    const want = new Float64Array(5);
    const r = 3;
    for (let m0 = 0; m0 <= r; m0++)
      for (let m1 = 0; m0 + m1 <= r; m1++)
        for (let m2 = 0; m0 + m1 + m2 <= r; m2++)
          for (let m3 = 0; m0 + m1 + m2 + m3 <= r; m3++) {
            const m = [m0, m1, m2, m3, r - m0 - m1 - m2 - m3];
            let p = 6; // r!
            for (let t = 0; t < r; t++) p /= A + t;
            m.forEach((k, c) => {
              for (let t = 0; t < k; t++) p *= (a[c]! + t) / (t + 1);
            });
            const credit = pluralityCredit(counts.map((x, c) => x + m[c]!));
            for (let c = 0; c < 5; c++) want[c]! += p * credit[c]!;
          }
    const got = dirichletPluralityProbabilities(counts, 9, alpha);
    for (let c = 0; c < 5; c++) expect(got[c]).toBeCloseTo(want[c]!, 12);
  });

  it("panel prior: hypergeometric posterior over seen panels (hand-computed, no novelty)", () => {
    const prior: TPanelPrior = {
      numClasses: 2,
      panelSize: 2,
      vectors: Float64Array.from([2, 0, 1, 1]),
      weights: Float64Array.from([0.5, 0.5]),
      mean: Float64Array.from([0.75, 0.25]),
      novelty: 0,
      alpha: Float64Array.from([1, 1]),
    };
    // P(see class 0 | (2,0)) = 1, | (1,1) = 1/2 -> posterior 2/3, 1/3; class 0 tops both panels.
    const p = panelPluralityProbabilities([1, 0], prior);
    expect(p[0]).toBeCloseTo(1, 12);
    expect(p[1]).toBeCloseTo(1 / 3, 12);
  });

  it("fitPanelPrior counts distinct panels, skips incomplete ones and sets Good-Turing novelty", () => {
    const prior = fitPanelPrior([2, 0, 2, 0, 1, 1, 1, 0], 2, 2);
    expect(prior.weights.length).toBe(2);
    expect(Array.from(prior.weights)).toEqual([2 / 3, 1 / 3]);
    expect(prior.novelty).toBeCloseTo(1 / 3, 12); // one panel seen once out of three
    expect(() => fitPanelPrior([1, 0], 2, 2)).toThrow(/no complete panels/);
  });
});

describe("needsMoreVotes", () => {
  it("stops on unanimous evidence, asks for more on a split, respects min/max votes", () => {
    expect(needsMoreVotes([5, 0, 0], { maxVotes: 7 })).toMatchObject({
      needsMore: false,
      label: 0,
      reason: "confident",
    });
    expect(needsMoreVotes([2, 2, 0], { maxVotes: 7 })).toMatchObject({
      needsMore: true,
      reason: "uncertain",
    });
    expect(needsMoreVotes([2, 2, 0], { maxVotes: 4 })).toMatchObject({
      needsMore: false,
      reason: "max-votes",
    });
    expect(needsMoreVotes([1, 0, 0], { minVotes: 3, targetConfidence: 0.1 })).toMatchObject({
      reason: "below-min-votes",
    });
  });

  it("depends on counts only up to relabelling under the default symmetric prior", () => {
    const a = needsMoreVotes([3, 1, 0, 0]);
    const b = needsMoreVotes([0, 0, 1, 3]);
    expect(b.confidence).toBeCloseTo(a.confidence, 12);
    expect(b.label).toBe(3);
  });

  it("with reliabilities, targets the true label under the one-coin model (hand-computed)", () => {
    // Two votes for class 0 at 0.9 vs uniform prior, C = 2: 0.81 / (0.81 + 0.01) = 0.98780...
    const d = needsMoreVotes([2, 0], {
      votes: [
        { label: 0, reliability: 0.9 },
        { label: 0, reliability: 0.9 },
      ],
      targetConfidence: 0.98,
    });
    expect(d.confidence).toBeCloseTo(0.81 / 0.82, 12);
    expect(d.needsMore).toBe(false);
  });

  it("rejects bad input", () => {
    expect(() => needsMoreVotes([1.5, 0])).toThrow(/non-negative integer/);
    expect(() => needsMoreVotes([1, 0], { targetConfidence: 0 })).toThrow(/targetConfidence/);
    expect(() => needsMoreVotes([1, 0], { prior: [1, 0] })).toThrow(/> 0/);
  });

  it("the Bayes-optimal plan stops where one more vote cannot pay for itself", () => {
    const prior = fitPanelPrior([3, 0, 3, 0, 2, 1, 0, 3], 2, 3);
    const cheap = createStoppingPlan(prior, 0.5); // an error costs half a vote: never worth asking
    expect(needsMoreVotes([1, 0], { prior, maxVotes: 3, plan: cheap }).needsMore).toBe(false);
    const dear = createStoppingPlan(prior, 1000);
    expect(needsMoreVotes([1, 0], { prior, maxVotes: 3, plan: dear }).needsMore).toBe(true);
  });
});

describe("simulateOverlap", () => {
  it("replays panels and scores the leader rule (hand-checkable)", () => {
    // Unanimous panel of 3: "1 ahead" stops after the first vote, always right.
    const s = simulateOverlap([3, 0], 2, leadPolicy(1, 3), { panelSize: 3, replays: 4 });
    expect(s).toMatchObject({ faces: 1, meanVotes: 1, agreement: 1, stoppedEarly: 1 });
    // Panel (2,1) with "3 ahead": never reached, all 3 votes used, label = plurality.
    const t = simulateOverlap([2, 1], 2, leadPolicy(3, 3), { panelSize: 3, replays: 4 });
    expect(t).toMatchObject({ meanVotes: 3, agreement: 1, stoppedEarly: 0 });
  });
});
