import { describe, expect, it } from "vitest";
import {
  createRng,
  fitModelPrior,
  modelPseudoCounts,
  modelStoppingDecision,
  needsMoreVotes,
  priorMean,
  type TModelPrior,
} from "../src/index";

const flat: TModelPrior = {
  numClasses: 2,
  numModelClasses: 2,
  temperature: 1,
  mix: 0,
  concentration: 2,
  mean: Float64Array.of(0.5, 0.5),
  logLikelihood: 0,
  panels: 0,
};

describe("model-prior stopping rule", () => {
  it("stops where the model agrees with the first vote and asks again where it does not (by hand)", () => {
    // Panel of 3, strict majority; counts (1, 0): class 0 loses only if both remaining votes go to 1,
    // P = a1 (a1 + 1) / (A (A + 1)), A = 3.
    const opts = { maxVotes: 3, reference: "majority" as const, targetConfidence: 0.9 };
    const unsure = modelStoppingDecision([1, 0], [0.5, 0.5], flat, opts); // alpha (1, 1): 1 - 2/12
    expect(unsure.confidence).toBeCloseTo(10 / 12, 12);
    expect(unsure.needsMore).toBe(true);
    const agrees = modelStoppingDecision([1, 0], [0.9, 0.1], flat, opts); // alpha (1.8, 0.2): 1 - 0.24/12
    expect(agrees.confidence).toBeCloseTo(0.98, 12);
    expect(agrees).toMatchObject({ needsMore: false, label: 0, reason: "confident" });
    const disagrees = modelStoppingDecision([1, 0], [0.1, 0.9], flat, opts); // alpha (0.2, 1.8): 1 - 1.8*2.8/12
    expect(disagrees.probabilities[0]).toBeCloseTo(1 - (1.8 * 2.8) / 12, 12);
    expect(disagrees.needsMore).toBe(true);
    // The same decision as needsMoreVotes with the pseudo-counts as its Dirichlet prior.
    const same = needsMoreVotes([1, 0], { ...opts, prior: modelPseudoCounts(flat, [0.9, 0.1]) });
    expect(same.confidence).toBe(agrees.confidence);
  });

  it("priorMean: temperature, classes outside the model and the mix with the mean", () => {
    const prior: TModelPrior = {
      ...flat,
      numClasses: 3,
      temperature: 0.5, // squares the model's odds
      mix: 0.5,
      mean: Float64Array.of(0.5, 0.3, 0.2),
    };
    // base = (1 - 0.2) * (0.75^2, 0.25^2) / (0.625) = (0.72, 0.08), then 0.2; mixed half with the mean.
    const m = priorMean(prior, [0.75, 0.25]);
    expect(Array.from(m)).toEqual([
      expect.closeTo(0.61, 12),
      expect.closeTo(0.19, 12),
      expect.closeTo(0.2, 12),
    ]);
    expect(() => modelPseudoCounts(prior, [1])).toThrow(/expected 2 model probabilities/);
    expect(() => modelStoppingDecision([1, 0], [0.5, 0.5], prior)).toThrow(/counts cover 2 classes/);
  });

  it("fitModelPrior recovers the concentration of panels drawn from Dirichlet(s * p)", () => {
    // 3 classes, 2 known to the model; 1,500 panels of 10 votes from theta ~ Dirichlet(6 * m(p)).
    const rng = createRng(5);
    const gamma = (shape: number): number => {
      // Marsaglia-Tsang (shape >= 1; boosted below 1).
      if (shape < 1) return gamma(shape + 1) * rng() ** (1 / shape);
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const u1 = rng();
        const u2 = rng();
        const x = Math.sqrt(-2 * Math.log(u1 || 1e-12)) * Math.cos(2 * Math.PI * u2);
        const v = (1 + c * x) ** 3;
        if (v > 0 && Math.log(rng() || 1e-12) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const N = 1500;
    const probs = new Float64Array(N * 2);
    const panels = new Float64Array(N * 3);
    for (let i = 0; i < N; i++) {
      const p0 = 0.1 + 0.8 * rng();
      probs[i * 2] = p0;
      probs[i * 2 + 1] = 1 - p0;
      const alpha = [6 * 0.9 * p0, 6 * 0.9 * (1 - p0), 6 * 0.1];
      const g = alpha.map(gamma);
      const s = g.reduce((x, y) => x + y, 0);
      for (let t = 0; t < 10; t++) {
        let u = rng() * s;
        let c = 0;
        while (c < 2 && u >= g[c]!) u -= g[c++]!;
        panels[i * 3 + c]!++;
      }
    }
    const fit = fitModelPrior(panels, probs, 3, 2);
    expect(fit.panels).toBe(N);
    expect(fit.mean[2]).toBeCloseTo(0.1, 1);
    // Temperature and mix trade off (sharpen, then mix with the mean); the prior mean they give is what counts.
    for (const p0 of [0.2, 0.5, 0.8]) {
      const m = priorMean(fit, [p0, 1 - p0]);
      expect(m[0]).toBeCloseTo(0.9 * p0, 1);
      expect(Math.abs(m[0]! - 0.9 * p0)).toBeLessThan(0.03);
    }
    expect(fit.concentration).toBeGreaterThan(4.5);
    expect(fit.concentration).toBeLessThan(8);
    expect(() => fitModelPrior([1, 0, 0], [0.5, 0.5], 3, 2)).toThrow(/no panels with >= 2 votes/);
  });
});
