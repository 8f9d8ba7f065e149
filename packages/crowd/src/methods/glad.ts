import type { TAggregateResult, TVoteSet } from "../types";
import { applyGold, argmaxRows, emptyResult, hardened, type TResolved, writePosterior } from "./common";
import { majorityVote } from "./mv";

const logSigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/**
 * GLAD (Whitehill et al. 2009): P(vote correct) = sigmoid(alpha_worker * beta_item), errors uniform
 * over the other classes; beta = exp(b) > 0 is the item's easiness. EM: exact E-step; the M-step takes
 * three diagonal-Newton steps on alpha then b under priors alpha ~ N(1, 1), b ~ N(0, 1) (the priors keep
 * workers with few votes and unanimous items finite). Initialised from hard majority vote (or gold),
 * so it is deterministic. Anonymous tallies share one alpha.
 */
export function glad(set: TVoteSet, opts: TResolved): TAggregateResult {
  const { numItems: N, numClasses: C, numWorkers: W, numVotes: V } = set;
  const { voteItem, voteWorker, voteLabel, itemOffsets } = set;
  const tallies = set.tallies;
  const res = emptyResult(set, "glad");
  const T = hardened(majorityVote(set, opts).posteriors, C);
  applyGold(T, C, opts.gold);
  const active = new Uint8Array(N);
  for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) if (T[i * C + c]! > 0) active[i] = 1;
  const alpha = new Float64Array(W + 1).fill(1); // index W = anonymous pool
  const b = new Float64Array(N);
  const priors = new Float64Array(C);
  const logC1 = Math.log(C - 1);
  const gA = new Float64Array(W + 1);
  const hA = new Float64Array(W + 1);
  const gB = new Float64Array(N);
  const hB = new Float64Array(N);
  const row = new Float64Array(C);
  let iter = 0;
  let converged = false;
  let ll = 0;

  // Visits every (vote, weight) pair: identified votes with weight 1, tallies with weight = count.
  const forEachVote = (fn: (i: number, w: number, l: number, n: number) => void) => {
    for (let k = 0; k < V; k++) fn(voteItem[k]!, voteWorker[k]!, voteLabel[k]!, 1);
    if (tallies) {
      for (let i = 0; i < N; i++)
        for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) fn(i, W, l, tallies[i * C + l]!);
    }
  };

  const mStep = () => {
    priors.fill(opts.smoothing);
    for (let i = 0; i < N; i++) if (active[i]) for (let c = 0; c < C; c++) priors[c]! += T[i * C + c]!;
    const pt = priors.reduce((a, x) => a + x, 0);
    for (let c = 0; c < C; c++) priors[c]! /= pt;
    for (let step = 0; step < 3; step++) {
      for (let w = 0; w <= W; w++) {
        gA[w] = -(alpha[w]! - 1);
        hA[w] = 1;
      }
      forEachVote((i, w, l, n) => {
        const beta = Math.exp(b[i]!);
        const s = sigmoid(alpha[w]! * beta);
        gA[w]! += n * (T[i * C + l]! - s) * beta;
        hA[w]! += n * s * (1 - s) * beta * beta;
      });
      for (let w = 0; w <= W; w++) alpha[w]! += clamp(gA[w]! / hA[w]!);
      for (let i = 0; i < N; i++) {
        gB[i] = -b[i]!;
        hB[i] = 1;
      }
      forEachVote((i, w, l, n) => {
        const x = alpha[w]! * Math.exp(b[i]!);
        const s = sigmoid(x);
        gB[i]! += n * (T[i * C + l]! - s) * x;
        hB[i]! += n * s * (1 - s) * x * x;
      });
      for (let i = 0; i < N; i++) b[i]! += clamp(gB[i]! / hB[i]!);
    }
  };

  const eStep = (): number => {
    let delta = 0;
    ll = 0;
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      const beta = Math.exp(b[i]!);
      for (let c = 0; c < C; c++) row[c] = Math.log(priors[c]!);
      const add = (w: number, l: number, n: number) => {
        const x = alpha[w]! * beta;
        const right = logSigmoid(x);
        const wrong = logSigmoid(-x) - logC1;
        for (let c = 0; c < C; c++) row[c]! += n * (c === l ? right : wrong);
      };
      for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) add(voteWorker[k]!, voteLabel[k]!, 1);
      if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
      const post = writePosterior(row, C, T, i, opts.clampGold && opts.gold ? opts.gold[i]! : -1);
      ll += post.logZ;
      delta = Math.max(delta, post.delta);
    }
    return delta;
  };

  while (iter < opts.maxIterations) {
    mStep();
    iter++;
    if (eStep() < opts.tolerance) {
      converged = true;
      break;
    }
  }
  res.posteriors = T;
  argmaxRows(T, C, res.labels);
  res.classPriors = priors;
  res.workerSkill = alpha.slice(0, W);
  res.itemEasiness = b.map(Math.exp);
  if (tallies) res.anonymous = { skill: alpha[W]!, confusion: null };
  res.iterations = iter;
  res.converged = converged;
  res.logLikelihood = iter > 0 ? ll : null;
  return res;
}

const clamp = (x: number) => Math.max(-2, Math.min(2, x));
