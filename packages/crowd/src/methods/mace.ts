import type { TAggregateResult, TVoteSet } from "../types";
import {
  applyGold,
  argmaxRows,
  createRng,
  emptyResult,
  hardened,
  type TResolved,
  writePosterior,
} from "./common";
import { majorityVote } from "./mv";

const RESTARTS = 10;
// Beta(2, 1) prior on competence (MAP): without it a unanimous crowd is explained equally well, or
// better, by "everyone spams this class", and a random restart can land there.
const PRIOR_A = 2;
const PRIOR_B = 1;

/**
 * MACE (Hovy et al. 2013): each worker either knows the answer (probability theta) or spams from a
 * personal distribution xi; true labels uniform a priori. MAP-EM with a Beta(2, 1) prior on theta and
 * `smoothing` on xi. Restarts: one from majority-vote (or gold) posteriors plus 10 seeded random
 * parameter draws; the run with the highest log posterior wins, so results depend only on `seed`.
 * Anonymous tallies share one (theta, xi).
 */
export function mace(set: TVoteSet, opts: TResolved): TAggregateResult {
  const rng = createRng(opts.seed);
  let best: TAggregateResult | null = null;
  for (let r = 0; r <= RESTARTS; r++) {
    const run = maceRun(set, opts, r === 0 ? null : rng);
    if (!best || (run.logLikelihood ?? -Infinity) > (best.logLikelihood ?? -Infinity)) best = run;
  }
  return best!;
}

function maceRun(set: TVoteSet, opts: TResolved, rng: (() => number) | null): TAggregateResult {
  const { numItems: N, numClasses: C, numWorkers: W, numVotes: V } = set;
  const { voteItem, voteWorker, voteLabel, itemOffsets } = set;
  const tallies = set.tallies;
  const S = W + 1; // index W = anonymous pool
  const res = emptyResult(set, "mace");
  const T = hardened(majorityVote(set, opts).posteriors, C);
  const active = new Uint8Array(N);
  for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) if (T[i * C + c]! > 0) active[i] = 1;
  const theta = new Float64Array(S);
  const xi = new Float64Array(S * C);
  const know = new Float64Array(S);
  const tot = new Float64Array(S);
  const row = new Float64Array(C);
  let ll = 0;

  const xiNext = new Float64Array(S * C);
  const mStep = () => {
    know.fill(0);
    tot.fill(0);
    xiNext.fill(opts.smoothing);
    const add = (i: number, w: number, l: number, n: number) => {
      const th = theta[w]!;
      // P(worker knew | vote l on item i) = T[i,l] * th / (th + (1 - th) * xi_l)
      const pk = (T[i * C + l]! * th) / (th + (1 - th) * xi[w * C + l]!);
      know[w]! += n * pk;
      tot[w]! += n;
      xiNext[w * C + l]! += n * (1 - pk);
    };
    for (let k = 0; k < V; k++) add(voteItem[k]!, voteWorker[k]!, voteLabel[k]!, 1);
    if (tallies)
      for (let i = 0; i < N; i++)
        for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(i, W, l, tallies[i * C + l]!);
    for (let w = 0; w < S; w++) {
      theta[w] = (know[w]! + PRIOR_A - 1) / (tot[w]! + PRIOR_A + PRIOR_B - 2);
      let z = 0;
      for (let l = 0; l < C; l++) z += xiNext[w * C + l]!;
      for (let l = 0; l < C; l++) xi[w * C + l] = xiNext[w * C + l]! / z;
    }
  };
  theta.fill(0.5);
  xi.fill(1 / C);

  if (rng) {
    // Random start: draw parameters, then an E-step gives the first posteriors.
    for (let w = 0; w < S; w++) {
      theta[w] = 0.3 + 0.6 * rng();
      let z = 0;
      for (let l = 0; l < C; l++) z += xi[w * C + l] = 0.1 + rng();
      for (let l = 0; l < C; l++) xi[w * C + l]! /= z;
    }
  } else {
    applyGold(T, C, opts.gold);
    theta.fill(0.8);
  }

  const eStep = (): number => {
    let delta = 0;
    ll = 0;
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      row.fill(-Math.log(C));
      const add = (w: number, l: number, n: number) => {
        const th = theta[w]!;
        const spam = (1 - th) * xi[w * C + l]!;
        const lRight = Math.log(th + spam);
        const lWrong = Math.log(spam);
        for (let c = 0; c < C; c++) row[c]! += n * (c === l ? lRight : lWrong);
      };
      for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) add(voteWorker[k]!, voteLabel[k]!, 1);
      if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
      const post = writePosterior(row, C, T, i, opts.clampGold && opts.gold ? opts.gold[i]! : -1);
      ll += post.logZ;
      delta = Math.max(delta, post.delta);
    }
    return delta;
  };

  if (rng) eStep();
  let iter = 0;
  let converged = false;
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
  res.workerSkill = theta.slice(0, W);
  if (tallies) res.anonymous = { skill: theta[W]!, confusion: null };
  res.iterations = iter;
  res.converged = converged;
  // Restarts are ranked by the MAP objective: log-likelihood + log Beta prior of every competence.
  let logPrior = 0;
  for (let w = 0; w < S; w++)
    logPrior += (PRIOR_A - 1) * Math.log(theta[w]!) + (PRIOR_B - 1) * Math.log(1 - theta[w]!);
  res.logLikelihood = ll + logPrior;
  return res;
}
