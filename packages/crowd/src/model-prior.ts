import { needsMoreVotes, type TStoppingDecision, type TStoppingOptions } from "./stopping";

/**
 * A per-item prior for the stopping rule from a model's class distribution: the item's vote distribution
 * theta ~ Dirichlet(concentration * m), with
 *   m = (1 - mix) * base + mix * mean,
 *   base_c = (1 - R) * softmax(log p / temperature)_c for the model's K classes,
 *   base_c = mean_c for the vote classes outside the model (FER+ unknown, not-a-face; R = their mean share),
 * and mean = the mean vote distribution of the fitting panels. `fitModelPrior` chooses temperature, mix and
 * concentration by maximum likelihood (Dirichlet-multinomial) of complete panels beside the model's
 * out-of-sample distributions of the same images. needsMoreVotes then predicts the full panel's answer with
 * the exact Polya-urn completion under alpha = concentration * m.
 */
export type TModelPrior = {
  numClasses: number;
  numModelClasses: number;
  temperature: number;
  mix: number;
  concentration: number;
  mean: Float64Array;
  /** Mean log-likelihood per fitting panel at the fit (without the multinomial coefficient). */
  logLikelihood: number;
  panels: number;
};

const TEMPERATURES = [0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.25, 1.4, 1.6, 1.8, 2, 2.5, 3];
const MIXES = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5];

/** Fits a model prior on complete panels (N x C vote counts) and the model's distributions (N x K). */
export function fitModelPrior(
  panels: ArrayLike<number>,
  probs: ArrayLike<number>,
  numClasses: number,
  numModelClasses: number,
): TModelPrior {
  const C = numClasses;
  const K = numModelClasses;
  if (!(Number.isInteger(K) && K >= 2 && K <= C))
    throw new RangeError(`numModelClasses must be in [2, ${C}]`);
  if (panels.length % C !== 0)
    throw new RangeError(`panels length ${panels.length} is not a multiple of ${C}`);
  const N = panels.length / C;
  if (probs.length !== N * K) throw new RangeError(`probs has ${probs.length} values, expected ${N} x ${K}`);
  const rows: number[] = [];
  const mean = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const x = panels[i * C + c]!;
      if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`panels[${i}][${c}] = ${x} is not a count`);
      n += x;
    }
    if (n < 2) continue; // one vote says nothing about the concentration
    rows.push(i);
    for (let c = 0; c < C; c++) mean[c]! += panels[i * C + c]! / n;
  }
  if (rows.length === 0) throw new RangeError("no panels with >= 2 votes to fit a model prior on");
  for (let c = 0; c < C; c++) mean[c] = (mean[c]! + 1e-3) / (rows.length + C * 1e-3);
  const base: TModelPrior = {
    numClasses: C,
    numModelClasses: K,
    temperature: 1,
    mix: 0,
    concentration: 1,
    mean,
    logLikelihood: -Infinity,
    panels: rows.length,
  };
  const m = new Float64Array(rows.length * C);
  let best = base;
  for (const temperature of TEMPERATURES) {
    for (const mix of MIXES) {
      const prior = { ...base, temperature, mix };
      rows.forEach((i, r) => {
        m.set(priorMean(prior, probs, i * K), r * C);
      });
      const ll = (logS: number) => panelLogLikelihood(panels, rows, m, C, Math.exp(logS));
      // Golden-section search over log concentration (the likelihood is unimodal in it here).
      let lo = Math.log(0.3);
      let hi = Math.log(300);
      const g = (Math.sqrt(5) - 1) / 2;
      let x1 = hi - g * (hi - lo);
      let x2 = lo + g * (hi - lo);
      let f1 = ll(x1);
      let f2 = ll(x2);
      while (hi - lo > 0.01) {
        if (f1 > f2) {
          hi = x2;
          x2 = x1;
          f2 = f1;
          x1 = hi - g * (hi - lo);
          f1 = ll(x1);
        } else {
          lo = x1;
          x1 = x2;
          f1 = f2;
          x2 = lo + g * (hi - lo);
          f2 = ll(x2);
        }
      }
      const f = Math.max(f1, f2) / rows.length;
      if (f > best.logLikelihood)
        best = { ...prior, concentration: Math.exp(f1 > f2 ? x1 : x2), logLikelihood: f };
    }
  }
  return best;
}

/** The prior mean m (length C) for one item from the model's distribution probs[offset .. offset + K). */
export function priorMean(prior: TModelPrior, probs: ArrayLike<number>, offset = 0): Float64Array {
  const { numClasses: C, numModelClasses: K, mean, mix } = prior;
  let R = 0;
  for (let c = K; c < C; c++) R += mean[c]!;
  const beta = 1 / prior.temperature;
  const out = new Float64Array(C);
  let mx = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, beta * Math.log(Math.max(1e-7, probs[offset + k]!)));
  let z = 0;
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp(beta * Math.log(Math.max(1e-7, probs[offset + k]!)) - mx);
    z += out[k]!;
  }
  for (let c = 0; c < C; c++) {
    const b = c < K ? ((1 - R) * out[c]!) / z : mean[c]!;
    out[c] = (1 - mix) * b + mix * mean[c]!;
  }
  return out;
}

/** Dirichlet pseudo-counts (length C) for needsMoreVotes' `prior` from one item's model distribution (K). */
export function modelPseudoCounts(prior: TModelPrior, probs: ArrayLike<number>): Float64Array {
  if (probs.length !== prior.numModelClasses)
    throw new RangeError(`expected ${prior.numModelClasses} model probabilities, got ${probs.length}`);
  return priorMean(prior, probs).map((x) => Math.max(1e-9, x * prior.concentration));
}

/**
 * The model-prior stopping rule for one item: its vote counts so far (length C) and the model's distribution
 * for it (length K) -> stop or ask for another vote, and the label to publish. Same options as needsMoreVotes
 * (targetConfidence, maxVotes, minVotes, reference); the panel prior is replaced by the item's model prior.
 */
export function modelStoppingDecision(
  counts: ArrayLike<number>,
  probs: ArrayLike<number>,
  prior: TModelPrior,
  options: Omit<TStoppingOptions, "prior" | "plan" | "votes"> = {},
): TStoppingDecision {
  if (counts.length !== prior.numClasses)
    throw new RangeError(`counts cover ${counts.length} classes, the model prior ${prior.numClasses}`);
  return needsMoreVotes(counts, { ...options, prior: modelPseudoCounts(prior, probs) });
}

function panelLogLikelihood(
  panels: ArrayLike<number>,
  rows: number[],
  m: Float64Array,
  C: number,
  s: number,
): number {
  let ll = 0;
  const den: number[] = [0]; // den[n] = sum_{t < n} log(s + t), shared by panels of n votes
  rows.forEach((i, r) => {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const x = panels[i * C + c]!;
      if (x === 0) continue;
      const a = s * m[r * C + c]!;
      for (let t = 0; t < x; t++) ll += Math.log(a + t);
      n += x;
    }
    while (den.length <= n) den.push(den[den.length - 1]! + Math.log(s + den.length - 1));
    ll -= den[n]!;
  });
  return ll;
}
