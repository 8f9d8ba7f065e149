import { describe, expect, it } from "vitest";
import {
  buildVoteSet,
  findLabelIssues,
  majorityCompletionProbabilities,
  recoveryAtBudgets,
} from "../src/index";
import { createModelPanelPrior } from "../src/model-panel-prior";
import { dirichletMultinomial } from "../src/plurality";
import { TINY_PANEL_PRIOR } from "./fixtures";

const tallies = (rows: number[][]) =>
  buildVoteSet({ numClasses: rows[0]!.length, tallies: Float64Array.from(rows.flat()) });

describe("findLabelIssues", () => {
  it("margin ranks ties first, then close votes, unanimous last", () => {
    const set = tallies([
      [3, 0, 0],
      [1, 1, 1],
      [2, 1, 0],
    ]);
    const r = findLabelIssues(
      { set, probs: new Float64Array(9).fill(1 / 3), numModelClasses: 3 },
      { method: "margin" },
    );
    expect(Array.from(r.order)).toEqual([1, 2, 0]);
    expect(Array.from(r.labels)).toEqual([0, 0, 0]); // plurality, ties to the lowest class
    expect(Array.from(r.suggested)).toEqual([0, 0, 0]);
  });

  it("product: model x one-coin population likelihood, accuracy from pairwise agreement (by hand)", () => {
    // Ordered agreeing pairs 2 + 2 + 0 of 6: P(agree) = 2/3 = a^2 + (1 - a)^2 => a = 0.5 + sqrt(1/12).
    const set = tallies([
      [2, 0],
      [0, 2],
      [1, 1],
    ]);
    const a = 0.5 + Math.sqrt(1 / 12);
    const r = findLabelIssues(
      { set, probs: [0.1, 0.9, 0.5, 0.5, 0.8, 0.2], numModelClasses: 2 },
      { method: "product" },
    );
    const p0 = (0.1 * a * a) / (0.1 * a * a + 0.9 * (1 - a) ** 2);
    expect(r.scores[0]).toBeCloseTo(1 - p0, 10); // label 0, P(0) = 0.6075
    expect(r.scores[1]).toBeCloseTo((0.5 * (1 - a) ** 2) / (0.5 * a * a + 0.5 * (1 - a) ** 2), 10);
    expect(r.scores[2]).toBeCloseTo(0.2, 10); // 1-1 split: the likelihood cancels, the model decides
    expect(Array.from(r.order)).toEqual([0, 2, 1]);
  });

  it("rankBy suggested orders by P(the method's own label is wrong); scores stay P(current label wrong)", () => {
    // Product posteriors (by hand as above, a = 0.5 + sqrt(1/12)): item 0 P(0) = 0.6075 (label 0: own label
    // = the current one, wrong with 0.39); item 1 P(1) = 0.93 (label 1); item 2 a 1-1 split, label 0 (the
    // lowest tied class), model 0.2 / 0.8: the current label is wrong with 0.8, but the method's own label
    // (1) only with 0.2: a re-vote there adds least to the accuracy.
    const set = tallies([
      [2, 0],
      [0, 2],
      [1, 1],
    ]);
    const input = { set, probs: [0.1, 0.9, 0.5, 0.5, 0.2, 0.8], numModelClasses: 2 };
    const current = findLabelIssues(input, { method: "product" });
    const own = findLabelIssues(input, { method: "product", rankBy: "suggested" });
    expect(Array.from(current.order)).toEqual([2, 0, 1]);
    expect(Array.from(own.order)).toEqual([0, 2, 1]);
    expect(Array.from(own.scores)).toEqual(Array.from(current.scores));
    expect(Array.from(own.suggested)).toEqual([0, 1, 1]);
    expect(() => findLabelIssues(input, { method: "margin", rankBy: "suggested" })).toThrow(/posterior/);
    expect(() =>
      findLabelIssues(input, { method: "product", rankBy: "own" as unknown as "suggested" }),
    ).toThrow(/rankBy/);
  });

  it("bayes-confusion with a fixed confusion and temperature is prior x likelihood (by hand)", () => {
    // confusion [true][observed]: class 0 voted right 90%, class 1 80%.
    const set = tallies([
      [2, 0],
      [0, 1],
    ]);
    const r = findLabelIssues(
      { set, probs: [0.3, 0.7, 0.5, 0.5], numModelClasses: 2 },
      { method: "bayes-confusion", confusion: [0.9, 0.1, 0.2, 0.8], temperature: 1 },
    );
    const p0 = (0.3 * 0.81) / (0.3 * 0.81 + 0.7 * 0.04);
    expect(r.posteriors![0]).toBeCloseTo(p0, 8);
    expect(r.scores[0]).toBeCloseTo(1 - p0, 8);
    expect(r.scores[1]).toBeCloseTo(1 - (0.5 * 0.8) / (0.5 * 0.8 + 0.5 * 0.1), 8);
    expect(r.temperature).toBe(1);
  });

  it("bayes-confusion learns per-worker confusions: a worker who always says 1 is not believed", () => {
    // Workers 0 and 1 agree with the model; worker 2 answers 1 everywhere. Item 5: worker 2 alone says 1.
    const votes = [];
    for (let i = 0; i < 20; i++) {
      const truth = i % 2;
      votes.push({ item: i, worker: 0, label: truth }, { item: i, worker: 1, label: truth });
      votes.push({ item: i, worker: 2, label: 1 });
    }
    votes.push({ item: 20, worker: 2, label: 1 });
    const set = buildVoteSet({ numClasses: 2, votes });
    const probs = Array.from({ length: 21 }, (_, i) =>
      i === 20 ? [0.6, 0.4] : i % 2 ? [0.3, 0.7] : [0.7, 0.3],
    ).flat();
    const r = findLabelIssues({ set, probs, numModelClasses: 2 }, { method: "bayes-confusion" });
    expect(r.labels[20]).toBe(1);
    expect(r.suggested[20]).toBe(0); // the spammer's vote carries no evidence; the model's 0.6 wins
    expect(r.scores[20]).toBeGreaterThan(0.5);
    expect(r.scores[0]).toBeLessThan(0.05);
  });

  it("bayes-panel: the panels seen before, reweighted by the model's class prior (by hand)", () => {
    // Panels of 3: (3,0) half the time, (2,1) and (0,3) a quarter each; no smoothing (novelty 0).
    // Votes (0, 1): hypergeometric likelihoods 0, 1/3 and 1: (2,1) -> 0.25/3, about class 0, answer 0;
    // (0,3) -> 0.25, about class 1, answer 1. Class shares (0.75, 0.25).
    const mp = createModelPanelPrior(TINY_PANEL_PRIOR);
    expect(Array.from(mp.share)).toEqual([0.75, 0.25]);
    const set = tallies([
      [0, 1],
      [0, 1],
    ]);
    const r = findLabelIssues(
      { set, probs: [0.75, 0.25, 0.9, 0.1], numModelClasses: 2 },
      {
        method: "bayes-panel",
        panelPrior: mp,
        reference: "majority",
        calibration: { numModelClasses: 2, temperature: 1, mix: 0 },
      },
    );
    // Model = the shares: P(answer 0) = (1/12) / (1/12 + 1/4) = 0.25; the label (1) is wrong with 0.25.
    expect(r.scores[0]).toBeCloseTo(0.25, 12);
    // Model 0.9 / 0.1: class weights 0.9/0.75 and 0.1/0.25: P(answer 0) = 0.1 / (0.1 + 0.1).
    expect(r.scores[1]).toBeCloseTo(0.5, 12);
    expect(Array.from(r.order)).toEqual([1, 0]);
    expect(() =>
      findLabelIssues({ set, probs: [0.5, 0.5, 0.5, 0.5], numModelClasses: 2 }, { method: "bayes-panel" }),
    ).toThrow(/bayes-panel needs panelPrior/);
  });

  it("confident learning (model): per-class thresholds and the flag (by hand)", () => {
    const set = tallies([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
    const probs = [0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
    const r = findLabelIssues(
      { set, probs, numModelClasses: 2 },
      { method: "confident-learning", clOn: "model" },
    );
    // t0 = (0.9 + 0.3) / 2, t1 = (0.8 + 0.6) / 2.
    expect(Array.from(r.thresholds!)).toEqual([expect.closeTo(0.6, 12), expect.closeTo(0.7, 12)]);
    // Item 1 (label 0): p1 = 0.7 >= t1, p0 < t0 -> confidently 1, flagged: 1 + (0 - (0.3 - 0.6) + 2) / 4.
    expect(r.scores[1]).toBeCloseTo(1.575, 12);
    expect(r.suggested[1]).toBe(1);
    // Item 3 (label 1): nothing above its threshold -> not flagged: (0.4 - 0.6 - (0.6 - 0.7) + 2) / 4.
    expect(r.scores[3]).toBeCloseTo(0.475, 12);
    expect(r.suggested[3]).toBe(1);
    expect(r.order[0]).toBe(1);
  });

  it("rejects bad input with a clear message", () => {
    const set = tallies([[1, 0, 0]]);
    expect(() => findLabelIssues({ set, probs: [0.5, 0.5], numModelClasses: 3 })).toThrow(
      /probs has 2 values, expected 1 x 3/,
    );
    expect(() => findLabelIssues({ set, probs: [0.5, 0.5], numModelClasses: 1 })).toThrow(/numModelClasses/);
    expect(() => findLabelIssues({ set, probs: [1.5, -0.5], numModelClasses: 2 })).toThrow(
      /not a probability/,
    );
    expect(() =>
      findLabelIssues({ set, probs: [0.5, 0.5], numModelClasses: 2 }, { method: "nope" as "margin" }),
    ).toThrow(/unknown label-issue method "nope"/);
    expect(() => findLabelIssues({ set, probs: [0.5, 0.5], numModelClasses: 2, labels: [3] })).toThrow(
      /label 3/,
    );
  });
});

describe("majorityCompletionProbabilities", () => {
  // Brute force over every completion of the panel.
  function brute(counts: number[], H: number, alpha: number[], drop: boolean): number[] {
    const C = counts.length;
    const a = alpha.map((x, c) => x + counts[c]!);
    const out = new Array<number>(C).fill(0);
    const walk = (c: number, left: number, m: number[]) => {
      if (c === C - 1) {
        const full = [...m, left];
        const f = full.map((x, d) => x + counts[d]!);
        const kept = f.map((x) => (drop && x < 2 ? 0 : x));
        const total = drop ? kept.reduce((s, x) => s + x, 0) : H;
        const win = kept.findIndex((x) => x > 0 && 2 * x > total);
        if (win >= 0) out[win]! += dirichletMultinomial(full, a);
        return;
      }
      for (let x = 0; x <= left; x++) walk(c + 1, left - x, [...m, x]);
    };
    walk(0, H - counts.reduce((s, x) => s + x, 0), []);
    return out;
  }

  it.each([
    [
      [1, 0, 2, 0],
      [0.5, 1.2, 0.3, 2],
    ],
    [
      [0, 0, 0, 0],
      [1, 1, 1, 1],
    ],
    [
      [1, 1, 1, 0],
      [3, 0.1, 0.2, 0.3],
    ],
    [
      [2, 1, 0, 0, 0],
      [0.4, 0.4, 0.4, 2, 0.1],
    ],
  ])("matches brute force for counts %j (FER+ rule and strict majority)", (counts, alpha) => {
    for (const drop of [true, false]) {
      const got = majorityCompletionProbabilities(counts, 10, alpha, { dropSingles: drop });
      brute(counts, 10, alpha, drop).forEach((p, c) => {
        expect(got[c]).toBeCloseTo(p, 12);
      });
    }
  });

  it("a complete panel gives its own majority, FER+ rule: single votes are dropped first", () => {
    // 5 neutral + five singletons: 5 of the 5 kept votes.
    const p = majorityCompletionProbabilities([5, 1, 1, 1, 1, 1], 10, [1, 1, 1, 1, 1, 1]);
    expect(Array.from(p)).toEqual([1, 0, 0, 0, 0, 0]);
    const strict = majorityCompletionProbabilities([5, 1, 1, 1, 1, 1], 10, [1, 1, 1, 1, 1, 1], {
      dropSingles: false,
    });
    expect(Array.from(strict)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe("recoveryAtBudgets", () => {
  it("counts wrong labels found in the re-voted top and the accuracy after (by hand)", () => {
    // truth 0 everywhere but item 4 (no reference). Current labels wrong on items 1 and 3.
    const r = recoveryAtBudgets(
      [1, 0, 4, 3, 2],
      [0, 1, 0, 1, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 0, 0, -1],
      [0.25, 0.5, 1],
    );
    // 4 items with a reference; 25% = 1 item: item 1 (wrong) -> 1/2 found; kept labels: item 3 fixed by the
    // method, item 1 re-voted -> accuracy 4/4.
    expect(r[0]).toEqual({ budget: 0.25, revoted: 1, recovered: 0.5, accuracy: 1 });
    // 50%: items 1, 0 (item 4 has no reference and is skipped).
    expect(r[1]).toEqual({ budget: 0.5, revoted: 2, recovered: 0.5, accuracy: 1 });
    expect(r[2]!.recovered).toBe(1);
    expect(() => recoveryAtBudgets([0], [0], [0], [0], [2])).toThrow(/budget 2/);
  });
});
