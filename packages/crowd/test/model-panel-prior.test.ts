import { describe, expect, it } from "vitest";
import {
  calibratedClassPrior,
  createModelPanelPrior,
  createRng,
  fitModelCalibration,
  fitPanelPrior,
  needsMoreVotes,
  needsMoreVotesWithModel,
} from "../src/index";
import { TINY_PANEL_PRIOR } from "./fixtures";

describe("model panel prior stopping rule", () => {
  it("stops when the model agrees with the first vote, asks again when it does not (by hand)", () => {
    const mp = createModelPanelPrior(TINY_PANEL_PRIOR);
    const opts = { prior: mp, maxVotes: 3, reference: "majority" as const, targetConfidence: 0.9 };
    // One vote for class 1. Seen panels: (2,1) with likelihood 0.25 / 3 (class 0, answer 0), (0,3) with 0.25
    // (class 1, answer 1). Panel prior alone (class prior = shares 0.75 / 0.25): P(answer 1) = 0.75.
    const plain = needsMoreVotes([0, 1], opts);
    expect(plain.probabilities[1]).toBeCloseTo(0.75, 12);
    expect(plain.needsMore).toBe(true);
    // Model says class 1 with 0.7: weights 0.3 / 0.75 and 0.7 / 0.25 -> P(answer 1) = 0.7 / (0.4 / 12 + 0.7).
    const agrees = needsMoreVotes([0, 1], { ...opts, classPrior: [0.3, 0.7] });
    expect(agrees.probabilities[1]).toBeCloseTo(0.7 / (0.4 / 12 + 0.7), 12);
    expect(agrees).toMatchObject({ needsMore: false, label: 1, reason: "confident" });
    // Model says class 0 with 0.9: 0.1 / (0.1 + 0.1).
    const disagrees = needsMoreVotes([0, 1], { ...opts, classPrior: [0.9, 0.1] });
    expect(disagrees.probabilities[1]).toBeCloseTo(0.5, 12);
    expect(disagrees.needsMore).toBe(true);
    // The web's entry point: counts + the image's class prior -> the same decision (maxVotes from the prior).
    const web = needsMoreVotesWithModel([0, 1], [0.3, 0.7], mp, {
      reference: "majority",
      targetConfidence: 0.9,
    });
    expect(web).toEqual(agrees);
    expect(() => needsMoreVotes([0, 1], { ...opts, maxVotes: 10 })).toThrow(/panels of 3, maxVotes is 10/);
    expect(() => needsMoreVotes([0, 1], { ...opts, classPrior: [1, 0, 0] })).toThrow(
      /class prior has 3 entries/,
    );
  });

  it("calibratedClassPrior: temperature, classes outside the model keep their share, mix", () => {
    const mp = createModelPanelPrior({
      ...TINY_PANEL_PRIOR,
      numClasses: 3,
      vectors: Float64Array.of(3, 0, 0, 2, 1, 0, 0, 0, 3),
    });
    expect(Array.from(mp.share)).toEqual([0.75, 0, 0.25]);
    // K = 2: base = (1 - 0.25) * softmax(2 log p) = 0.75 * (0.9, 0.1) for p = (0.75, 0.25); then half the shares.
    const q = calibratedClassPrior(mp, { numModelClasses: 2, temperature: 0.5, mix: 0.5 }, [0.75, 0.25]);
    expect(Array.from(q)).toEqual([
      expect.closeTo(0.5 * 0.675 + 0.5 * 0.75, 12),
      expect.closeTo(0.5 * 0.075, 12),
      expect.closeTo(0.25, 12),
    ]);
  });

  it("fitModelCalibration trusts an informative model and discounts a random one", () => {
    // 2,000 faces: class 0 or 1 at the shares, a panel from that class's panels, the first vote visible.
    // The informative model puts 0.8 on the face's class; the random one a uniform draw.
    const rng = createRng(3);
    const panels: number[] = [];
    for (let i = 0; i < 400; i++) panels.push(...(i % 4 === 0 ? [2, 1] : i % 4 === 1 ? [0, 3] : [3, 0]));
    const mp = createModelPanelPrior(fitPanelPrior(panels, 2, 3));
    const N = 2000;
    const counts = new Float64Array(N * 2);
    const informative = new Float64Array(N * 2);
    const random = new Float64Array(N * 2);
    for (let i = 0; i < N; i++) {
      const u = rng();
      const panel = u < 0.5 ? [3, 0] : u < 0.75 ? [2, 1] : [0, 3];
      const cls = panel[0]! > panel[1]! ? 0 : 1;
      counts[i * 2 + (rng() * 3 < panel[0]! ? 0 : 1)] = 1;
      informative[i * 2 + cls] = 0.8;
      informative[i * 2 + 1 - cls] = 0.2;
      random[i * 2] = rng();
      random[i * 2 + 1] = 1 - random[i * 2]!;
    }
    const good = fitModelCalibration(mp, counts, informative, 2);
    const bad = fitModelCalibration(mp, counts, random, 2);
    expect(good.items).toBe(N);
    expect(good.mix).toBeLessThanOrEqual(0.05);
    expect(good.temperature).toBeLessThan(1); // 0.8 understates a model that is always right
    expect(bad.mix >= 0.35 || bad.temperature >= 2.5).toBe(true);
    expect(good.logLikelihood).toBeGreaterThan(bad.logLikelihood);
  });
});
