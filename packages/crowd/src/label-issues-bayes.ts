import type { TVoteSet } from "./types";
import { itemCounts } from "./vote-set";

/**
 * Dawid-Skene with the model as each item's prior: P(true c | votes, image) proportional to
 * prior_i(c) * prod over votes of confusion[c][vote], by EM.
 * - prior_i: the model's distribution over its K classes sharpened or flattened by 1/temperature
 *   (softmax(beta * log p_i)), times 1 - rho; the vote classes the model does not know (FER+ unknown,
 *   not-a-face) get a shared prior rho_c estimated like a class prior.
 * - Likelihood: one population confusion matrix for the anonymous tallies (FER+ has no worker ids) and one per
 *   identified worker, shrunk towards the population's rows by `shrinkage` pseudo-votes per row, so a worker
 *   with three votes is not taken for perfect.
 * - M-step: confusions from expected counts (+ 0.01 per cell), rho from the mean posterior, beta by Newton
 *   steps on the expected log prior (concave in beta). Temperature fixed when given.
 * Items without votes keep their prior as posterior and do not enter the M-step.
 */
export type TBayesFit = {
  posteriors: Float64Array;
  temperature: number;
  /** Population confusion, C x C row-major [true][observed]. */
  confusion: Float64Array;
  /** Identified workers: W x C x C [worker][true][observed]; null without identified votes. */
  workerConfusion: Float64Array | null;
  iterations: number;
  logLikelihood: number;
};

export type TBayesOptions = {
  /** A fixed population confusion C x C [true][observed] (e.g. from complete panels) instead of fitting it. */
  confusion?: ArrayLike<number>;
  temperature?: number;
  shrinkage?: number;
  maxIterations?: number;
  tolerance?: number;
};

const FLOOR = 1e-7;

export function fitBayes(
  set: TVoteSet,
  probs: ArrayLike<number>,
  K: number,
  o: TBayesOptions = {},
): TBayesFit {
  const { numItems: N, numClasses: C, numWorkers: W } = set;
  const shrink = o.shrinkage ?? 2;
  const maxIter = o.maxIterations ?? 200;
  const tol = o.tolerance ?? 1e-5;
  const logp = Float64Array.from({ length: N * K }, (_, j) => Math.log(Math.max(FLOOR, probs[j]!)));
  const counts = itemCounts(set); // identified + anonymous, for the population matrix
  const anon = set.tallies;
  const voted = new Uint8Array(N);
  for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) if (counts[i * C + c]! > 0) voted[i] = 1;
  const pop = new Float64Array(C * C);
  const logPop = new Float64Array(C * C);
  const fixed = o.confusion ? Float64Array.from(o.confusion) : null;
  if (fixed && fixed.length !== C * C) throw new RangeError(`confusion must be ${C} x ${C}`);
  const hasWorkers = set.numVotes > 0;
  const work = hasWorkers ? new Float64Array(W * C * C) : null;
  const logWork = hasWorkers ? new Float64Array(W * C * C) : null;
  // Start: one-coin workers right 70% of the time, the model at temperature 1.
  for (let c = 0; c < C; c++)
    for (let v = 0; v < C; v++) pop[c * C + v] = fixed ? fixed[c * C + v]! : c === v ? 0.7 : 0.3 / (C - 1);
  normaliseRows(pop, C);
  let beta = o.temperature ? 1 / o.temperature : 1;
  const rho = new Float64Array(C);
  {
    let total = 0;
    for (let j = 0; j < counts.length; j++) total += counts[j]!;
    for (let c = K; c < C; c++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += counts[i * C + c]!;
      rho[c] = total > 0 ? Math.max(1e-4, s / total) : 1e-4;
    }
  }
  if (work) for (let w = 0; w < W; w++) work.set(pop, w * C * C);
  const post = new Float64Array(N * C);
  const row = new Float64Array(C);
  const q = new Float64Array(K);
  let iter = 0;
  let ll = 0;
  for (; iter < maxIter; iter++) {
    for (let j = 0; j < C * C; j++) logPop[j] = Math.log(pop[j]!);
    if (work && logWork) for (let j = 0; j < work.length; j++) logWork[j] = Math.log(work[j]!);
    // E-step.
    let R = 0;
    for (let c = K; c < C; c++) R += rho[c]!;
    let delta = 0;
    ll = 0;
    for (let i = 0; i < N; i++) {
      softmaxInto(logp, i * K, K, beta, q);
      for (let c = 0; c < C; c++) row[c] = Math.log(c < K ? (1 - R) * q[c]! : rho[c]!);
      if (anon) {
        for (let v = 0; v < C; v++) {
          const n = anon[i * C + v]!;
          if (n > 0) for (let c = 0; c < C; c++) row[c]! += n * logPop[c * C + v]!;
        }
      }
      if (logWork) {
        for (let k = set.itemOffsets[i]!; k < set.itemOffsets[i + 1]!; k++) {
          const base = set.voteWorker[k]! * C * C + set.voteLabel[k]!;
          for (let c = 0; c < C; c++) row[c]! += logWork[base + c * C]!;
        }
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, row[c]!);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(row[c]! - m);
      if (voted[i]) ll += m + Math.log(z);
      for (let c = 0; c < C; c++) {
        const p = Math.exp(row[c]! - m) / z;
        delta = Math.max(delta, Math.abs(p - post[i * C + c]!));
        post[i * C + c] = p;
      }
    }
    if (delta < tol && iter > 0) break;
    // M-step.
    if (!fixed) {
      pop.fill(0.01);
      for (let i = 0; i < N; i++) {
        if (!voted[i]) continue;
        for (let v = 0; v < C; v++) {
          const n = counts[i * C + v]!;
          if (n > 0) for (let c = 0; c < C; c++) pop[c * C + v]! += n * post[i * C + c]!;
        }
      }
      normaliseRows(pop, C);
    }
    if (work) {
      for (let w = 0; w < W; w++)
        for (let j = 0; j < C * C; j++) work[w * C * C + j] = shrink * pop[j]! + 0.01;
      for (let k = 0; k < set.numVotes; k++) {
        const i = set.voteItem[k]!;
        const base = set.voteWorker[k]! * C * C + set.voteLabel[k]!;
        for (let c = 0; c < C; c++) work[base + c * C]! += post[i * C + c]!;
      }
      for (let w = 0; w < W; w++) normaliseRows(work.subarray(w * C * C, (w + 1) * C * C), C);
    }
    let items = 0;
    const mass = new Float64Array(C);
    for (let i = 0; i < N; i++) {
      if (!voted[i]) continue;
      items++;
      for (let c = K; c < C; c++) mass[c]! += post[i * C + c]!;
    }
    for (let c = K; c < C; c++) rho[c] = Math.max(1e-6, (mass[c]! + 0.01) / (items + 0.01 * C));
    if (!o.temperature) beta = newtonBeta(beta, logp, post, voted, K, C, q);
  }
  return {
    posteriors: post,
    temperature: 1 / beta,
    confusion: pop,
    workerConfusion: work,
    iterations: iter + 1,
    logLikelihood: ll,
  };
}

function normaliseRows(m: Float64Array, C: number): void {
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let v = 0; v < C; v++) s += m[c * C + v]!;
    for (let v = 0; v < C; v++) m[c * C + v]! /= s;
  }
}

/** q = softmax(beta * logp[off .. off + K)). */
export function softmaxInto(logp: ArrayLike<number>, off: number, K: number, beta: number, q: Float64Array) {
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, beta * logp[off + k]!);
  let z = 0;
  for (let k = 0; k < K; k++) {
    q[k] = Math.exp(beta * logp[off + k]! - m);
    z += q[k]!;
  }
  for (let k = 0; k < K; k++) q[k]! /= z;
}

/** Three Newton steps on sum_i sum_k post_ik log softmax(beta * l_i)_k, a concave function of beta. */
function newtonBeta(
  beta: number,
  logp: Float64Array,
  post: Float64Array,
  voted: Uint8Array,
  K: number,
  C: number,
  q: Float64Array,
): number {
  const N = voted.length;
  for (let step = 0; step < 3; step++) {
    let g = 0;
    let h = 0;
    for (let i = 0; i < N; i++) {
      if (!voted[i]) continue;
      softmaxInto(logp, i * K, K, beta, q);
      let w = 0;
      let el = 0;
      let el2 = 0;
      let tl = 0;
      for (let k = 0; k < K; k++) {
        const l = logp[i * K + k]!;
        w += post[i * C + k]!;
        tl += post[i * C + k]! * l;
        el += q[k]! * l;
        el2 += q[k]! * l * l;
      }
      g += tl - w * el;
      h += w * (el2 - el * el);
    }
    if (!(h > 0)) break;
    beta = Math.min(10, Math.max(0.02, beta + g / h));
  }
  return beta;
}
