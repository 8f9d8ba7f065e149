import type { TAggregateResult, TVoteSet } from "../types";
import {
  applyGold,
  argmaxRows,
  emptyResult,
  hasVotes,
  onGrid,
  type TResolved,
  writePosterior,
} from "./common";

const logSigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));

// Priors alpha ~ N(1, 1): a worker with few votes is taken as better than chance; b = log beta ~ N(0, 1):
// beta's prior median is 1, so an item with few votes neither scales abilities up nor down. (crowd-kit
// centres b on 1; on dog / rte that gave 0.8340 / 0.9250 against 0.8340 / 0.9275 here.)
const MU_ALPHA = 1;
const MU_B = 0;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
// M-step: M_ROUNDS rounds of one Newton step per parameter (abilities, then difficulties), fewer once no
// parameter moves more than M_TOL. A step is halved until the parameter's own objective does not fall, so
// every M-step raises the expected log posterior (generalised EM). Maximising fully each time (10 rounds)
// reached the same objective on dog and rte in 3x the time: alpha and b enter only through alpha * e^b,
// so alternating steps crawl along that ridge, and the E-step moves it anyway.
const M_ROUNDS = 2;
const M_TOL = 1e-5;
const MAX_STEP = 2;
const MIN_STEP = 1e-7;

/**
 * GLAD (Whitehill et al. 2009): worker w answers item i correctly with probability sigmoid(alpha_w * beta_i),
 * errors uniform over the other C - 1 classes; beta_i = exp(b_i) > 0 is the item's easiness. Priors
 * alpha ~ N(1, 1), b ~ N(0, 1); class priors uniform. EM from the prior means: E-step
 * exact; M-step Newton steps on each alpha (concave) and each b (Fisher scoring) with step halving.
 * Stops when the expected log-likelihood plus the log prior (the M-step objective) changed by less than
 * `objectiveTolerance` per vote, or after `maxIterations`. Deterministic; all sums on the `onGrid` grid,
 * so relabelling ids permutes the result and changes nothing else. Anonymous tallies share one alpha.
 */
export function glad(set: TVoteSet, opts: TResolved): TAggregateResult {
  const { numItems: N, numClasses: C, numWorkers: W } = set;
  const { voteItem, voteWorker, voteLabel, itemOffsets, workerOffsets, workerVotes } = set;
  const tallies = set.tallies;
  const res = emptyResult(set, "glad");
  const T = new Float64Array(N * C);
  const active = new Uint8Array(N);
  let numVotes = set.numVotes;
  for (let i = 0; i < N; i++) active[i] = hasVotes(set, i) ? 1 : 0;
  if (tallies) for (const n of tallies) numVotes += n;
  const alpha = new Float64Array(W + 1).fill(MU_ALPHA); // index W = anonymous pool
  const b = new Float64Array(N).fill(MU_B);
  const beta = new Float64Array(N);
  // Class priors fixed and uniform, as in the paper (a known p(Z)) and crowd-kit. Estimating them (with
  // `smoothing`) was tried: dog 0.8302 instead of 0.8340, rte 0.9237 instead of 0.9275.
  const logPrior = new Float64Array(C).fill(onGrid(-Math.log(C)));
  const logC1 = Math.log(C - 1);
  const row = new Float64Array(C);
  const clampTo = (i: number) => (opts.clampGold && opts.gold ? opts.gold[i]! : -1);

  // Vote sums of a parameter's objective at value v, into `sums`: [f, g, h] = log-likelihood of its votes,
  // d/dv and the curvature used by the Newton step (g, h only when `derivs`). kind 0: v = alpha of worker
  // `index` (the pool when index === W), g = (t - s) beta, h = s (1 - s) beta^2, the exact negative second
  // derivative (the objective is concave in alpha). kind 1: v = log easiness b of item `index`, with
  // x = alpha * e^b: g = (t - s) x, h = s (1 - s) x^2 (Fisher scoring: in b the objective is not concave, so
  // its own curvature can have either sign). t = posterior that the voted label is the true class.
  const sums = new Float64Array(3);
  const addVote = (x: number, t: number, n: number, dx: number, derivs: boolean) => {
    // log sigmoid(x) and log sigmoid(-x) from one exp: log sigmoid(-x) = log sigmoid(x) - x.
    const e = Math.exp(-Math.abs(x));
    const l1p = Math.log1p(e);
    const right = x >= 0 ? -l1p : x - l1p;
    sums[0]! += onGrid(n * (t * right + (1 - t) * (right - x - logC1)));
    if (!derivs) return;
    const s = x >= 0 ? 1 / (1 + e) : e / (1 + e);
    sums[1]! += onGrid(n * (t - s) * dx);
    sums[2]! += onGrid(n * s * (1 - s) * dx * dx);
  };
  const voteSums = (kind: 0 | 1, index: number, v: number, derivs: boolean) => {
    sums.fill(0);
    if (kind === 0 && index < W) {
      for (let j = workerOffsets[index]!; j < workerOffsets[index + 1]!; j++) {
        const k = workerVotes[j]!;
        const i = voteItem[k]!;
        addVote(v * beta[i]!, T[i * C + voteLabel[k]!]!, 1, beta[i]!, derivs);
      }
    } else if (kind === 0 && tallies) {
      for (let i = 0; i < N; i++) {
        for (let l = 0; l < C; l++) {
          const n = tallies[i * C + l]!;
          if (n > 0) addVote(v * beta[i]!, T[i * C + l]!, n, beta[i]!, derivs);
        }
      }
    } else if (kind === 1) {
      const be = Math.exp(v);
      for (let k = itemOffsets[index]!; k < itemOffsets[index + 1]!; k++) {
        const x = alpha[voteWorker[k]!]! * be;
        addVote(x, T[index * C + voteLabel[k]!]!, 1, x, derivs);
      }
      if (tallies) {
        for (let l = 0; l < C; l++) {
          const n = tallies[index * C + l]!;
          if (n > 0) addVote(alpha[W]! * be, T[index * C + l]!, n, alpha[W]! * be, derivs);
        }
      }
    }
    return sums;
  };

  // One Newton step on a parameter of objective f(v) = vote sums - (v - mu)^2 / 2, halved until f does not fall.
  const newton = (kind: 0 | 1, index: number, v: number, mu: number) => {
    voteSums(kind, index, v, true);
    const f0 = sums[0]! - 0.5 * (v - mu) ** 2;
    let step = Math.max(-MAX_STEP, Math.min(MAX_STEP, (sums[1]! - (v - mu)) / (sums[2]! + 1)));
    for (let halvings = 0; halvings < 30 && Math.abs(step) > MIN_STEP; halvings++) {
      const t = v + step;
      if (voteSums(kind, index, t, false)[0]! - 0.5 * (t - mu) ** 2 >= f0) return t;
      step /= 2;
    }
    return v;
  };

  const mStep = () => {
    for (let round = 0; round < M_ROUNDS; round++) {
      let moved = 0;
      for (let i = 0; i < N; i++) beta[i] = Math.exp(b[i]!);
      for (let w = 0; w <= W; w++) {
        if (w === W && !tallies) continue;
        const next = newton(0, w, alpha[w]!, MU_ALPHA);
        moved = Math.max(moved, Math.abs(next - alpha[w]!));
        alpha[w] = next;
      }
      for (let i = 0; i < N; i++) {
        if (!active[i]) continue;
        const next = newton(1, i, b[i]!, MU_B);
        moved = Math.max(moved, Math.abs(next - b[i]!));
        b[i] = next;
      }
      if (moved < M_TOL) break;
    }
  };

  let ll = 0;
  let ell = 0;
  const eStep = () => {
    ll = 0;
    ell = 0;
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      const be = Math.exp(b[i]!);
      for (let c = 0; c < C; c++) row[c] = logPrior[c]!;
      const add = (w: number, l: number, n: number) => {
        const x = alpha[w]! * be;
        const right = onGrid(logSigmoid(x));
        const wrong = onGrid(logSigmoid(-x) - logC1);
        for (let c = 0; c < C; c++) row[c]! += n * (c === l ? right : wrong);
      };
      for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) add(voteWorker[k]!, voteLabel[k]!, 1);
      if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
      const post = writePosterior(row, C, T, i, clampTo(i));
      ll += post.logZ;
      ell += post.expected;
    }
  };
  // Log density of the Gaussian priors on every alpha and b.
  const logParamPrior = () => {
    let lp = 0;
    const term = (x: number, mu: number) => onGrid(-0.5 * (x - mu) ** 2 - LOG_SQRT_2PI);
    for (let w = 0; w < W; w++) lp += term(alpha[w]!, MU_ALPHA);
    if (tallies) lp += term(alpha[W]!, MU_ALPHA);
    for (let i = 0; i < N; i++) if (active[i]) lp += term(b[i]!, MU_B);
    return lp;
  };

  eStep();
  applyGold(T, C, opts.gold);
  let objective = ell + logParamPrior();
  let iter = 0;
  let converged = false;
  while (iter < opts.maxIterations) {
    mStep();
    iter++;
    eStep();
    const next = ell + logParamPrior();
    const change = Math.abs(next - objective);
    objective = next;
    if (change <= opts.objectiveTolerance * numVotes) {
      converged = true;
      break;
    }
  }
  res.posteriors = T;
  argmaxRows(T, C, res.labels);
  res.classPriors = logPrior.map(Math.exp);
  res.workerSkill = alpha.slice(0, W);
  res.itemEasiness = b.map((x, i) => (active[i] ? Math.exp(x) : 0));
  if (tallies) res.anonymous = { skill: alpha[W]!, confusion: null };
  res.iterations = iter;
  res.converged = converged;
  res.stopReason = converged ? "tolerance" : "max-iterations";
  res.logLikelihood = ll;
  res.expectedLogLikelihood = ell;
  res.objective = objective;
  return res;
}
