import { describe, expect, it } from "vitest";
import { aggregate, buildVoteSet, createRng, type TAggregateResult, type TVoteSet } from "../src/index";
import { digamma, logGamma } from "../src/methods/special";

const accuracy = (r: TAggregateResult, truth: number[]) =>
  truth.reduce((a, t, i) => a + (r.labels[i] === t ? 1 : 0), 0) / truth.length;

/**
 * A crowd drawn from GLAD's own model: worker w is right with probability sigmoid(alpha_w * beta_i), else
 * answers another class uniformly. Abilities from -0.5 (worse than chance) to 3, easiness e^N(0, 1).
 */
function gladCrowd(seed: number, C: number, items: number, perItem: number, workers: number) {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const alpha = Array.from({ length: workers }, () => -0.5 + 3.5 * rng());
  const truth: number[] = [];
  const votes: { item: number; worker: number; label: number }[] = [];
  for (let i = 0; i < items; i++) {
    const t = Math.floor(rng() * C);
    truth.push(t);
    const beta = Math.exp(normal());
    const chosen = new Set<number>();
    while (chosen.size < perItem) chosen.add(Math.floor(rng() * workers));
    for (const w of chosen) {
      let label = t;
      if (rng() >= 1 / (1 + Math.exp(-alpha[w]! * beta))) label = (t + 1 + Math.floor(rng() * (C - 1))) % C;
      votes.push({ item: i, worker: w, label });
    }
  }
  return { set: buildVoteSet({ numClasses: C, numItems: items, numWorkers: workers, votes }), truth, alpha };
}

/**
 * A 2-class crowd with 85% of one class (as product matching): honest workers 60-95% accurate with symmetric
 * errors, `spammers` workers who always answer the common class; 3 votes per item, ~35 per worker.
 */
function imbalancedCrowd(seed: number, spammers: number) {
  const rng = createRng(seed);
  const W = 176;
  const acc = Array.from({ length: W }, (_, w) => (w < spammers ? -1 : 0.6 + 0.35 * rng()));
  const truth: number[] = [];
  const votes: { item: number; worker: number; label: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = rng() < 0.85 ? 0 : 1;
    truth.push(t);
    const chosen = new Set<number>();
    while (chosen.size < 3) chosen.add(Math.floor(rng() * W));
    for (const w of chosen) {
      const label = acc[w]! < 0 ? 0 : rng() < acc[w]! ? t : 1 - t;
      votes.push({ item: i, worker: w, label });
    }
  }
  return { set: buildVoteSet({ numClasses: 2, numItems: 2000, numWorkers: W, votes }), truth };
}

// Spearman rank correlation.
function rankCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (x: ArrayLike<number>) => {
    const order = Array.from(x, (v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(x.length);
    order.forEach(([, i], k) => {
      r[i] = k;
    });
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe("special functions", () => {
  it("digamma and log-gamma match known values", () => {
    const euler = 0.5772156649015329;
    expect(digamma(1)).toBeCloseTo(-euler, 12);
    expect(digamma(0.5)).toBeCloseTo(-euler - 2 * Math.LN2, 12);
    expect(digamma(10)).toBeCloseTo(2.251752589066721, 12); // scipy.special.digamma
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(123.5)).toBeCloseTo(469.8172754919306, 9); // scipy.special.gammaln
  });
});

describe("GLAD", () => {
  for (const [name, C] of [
    ["binary", 2],
    ["4-class", 4],
  ] as const) {
    it(`recovers a ${name} crowd drawn from its model: beats majority vote, ranks abilities, converges`, () => {
      const { set, truth, alpha } = gladCrowd(C, C, 600, 5, 40);
      const glad = aggregate(set, "glad");
      const mv = aggregate(set, "mv");
      expect(accuracy(glad, truth)).toBeGreaterThan(accuracy(mv, truth));
      expect(rankCorrelation(glad.workerSkill!, alpha)).toBeGreaterThan(0.8);
      expect(glad.stopReason).toBe("tolerance");
      expect(glad.expectedLogLikelihood!).toBeLessThanOrEqual(glad.logLikelihood!);
    });
  }

  it("each iteration raises the log posterior (generalised EM) and a cap stops it with max-iterations", () => {
    const { set } = gladCrowd(3, 3, 300, 4, 30);
    let last = -Infinity;
    for (const maxIterations of [1, 2, 3, 5, 8]) {
      const r = aggregate(set, "glad", { maxIterations });
      expect(r.stopReason).toBe("max-iterations");
      // objective - expected log-likelihood = log prior of the parameters.
      const logPosterior = r.logLikelihood! + (r.objective! - r.expectedLogLikelihood!);
      expect(logPosterior).toBeGreaterThanOrEqual(last - 1e-6);
      last = logPosterior;
    }
  });
});

describe("MACE", () => {
  it("each iteration raises the ELBO (variational Bayes) and the best of the restarts is kept", () => {
    const { set } = gladCrowd(5, 3, 300, 4, 30);
    let last = -Infinity;
    for (const maxIterations of [1, 2, 3, 5, 8, 13]) {
      const r = aggregate(set, "mace", { maxIterations, restarts: 0 });
      expect(r.objective!).toBeGreaterThanOrEqual(last - 1e-6);
      last = r.objective!;
    }
    const withRestarts = aggregate(set, "mace", { restarts: 4 });
    expect(withRestarts.objective!).toBeGreaterThanOrEqual(
      aggregate(set, "mace", { restarts: 0 }).objective!,
    );
  });

  it("does not collapse on a crowd with few or no spammers, even when one class dominates", () => {
    for (const spammers of [0, 10]) {
      const { set, truth } = imbalancedCrowd(spammers + 1, spammers);
      const mace = aggregate(set, "mace");
      const mv = aggregate(set, "mv");
      expect(accuracy(mace, truth)).toBeGreaterThanOrEqual(accuracy(mv, truth));
      // Honest workers keep a competence well above "spammer" on average.
      const honest = Array.from(mace.workerSkill!).slice(spammers);
      expect(honest.reduce((a, b) => a + b, 0) / honest.length).toBeGreaterThan(0.4);
    }
  });

  it("finds the spammers of a balanced crowd with a few of them", () => {
    const rng = createRng(9);
    const truth = Array.from({ length: 500 }, () => (rng() < 0.5 ? 0 : 1));
    const votes = truth.flatMap((t, item) => {
      const chosen = new Set<number>();
      while (chosen.size < 5) chosen.add(Math.floor(rng() * 40));
      // Workers 0-2 answer at random; the others are right 80% of the time.
      return [...chosen].map((worker) => ({
        item,
        worker,
        label: worker < 3 ? Math.floor(rng() * 2) : rng() < 0.8 ? t : 1 - t,
      }));
    });
    const set: TVoteSet = buildVoteSet({ numClasses: 2, numItems: 500, numWorkers: 40, votes });
    const r = aggregate(set, "mace");
    const theta = Array.from(r.workerSkill!);
    const honest = theta.slice(3).sort((a, b) => a - b);
    for (const spam of theta.slice(0, 3)) expect(spam).toBeLessThan(honest[0]!);
  });
});
