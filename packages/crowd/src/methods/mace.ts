import type { TAggregateResult, TVoteSet } from "../types";
import {
  applyGold,
  argmaxRows,
  createRng,
  emptyResult,
  hardened,
  hasVotes,
  onGrid,
  type TResolved,
  toGrid,
  writePosterior,
} from "./common";
import { majorityVote } from "./mv";
import { digamma, logGamma } from "./special";

// Priors as in Hovy et al. 2013 and their tool's defaults: competence theta ~ Beta(0.5, 0.5), which
// favours workers who either try or do not; spam distribution xi ~ Dirichlet(10, ..., 10), which keeps a
// spammer's answers near uniform unless the votes say otherwise.
const PRIOR_KNOW = 0.5;
const PRIOR_SPAM = 0.5;
const PRIOR_XI = 10;
// Class prior pi ~ Dirichlet(1, ..., 1), learnt. The paper fixes true labels uniform (the tool takes known
// priors as input). On a 2-class crowd with 85% of one class and ~34 votes per worker (synthetic, 0 to 10
// spammers of 176 workers) uniform labels let VB explain honest workers as spammers of the common class:
// 0.81 accuracy against majority vote's 0.87-0.88; with pi learnt 0.90-0.92. dog and rte did not move.
const PRIOR_PI = 1;

type TRun = {
  T: Float64Array;
  elbo: number;
  classCounts: Float64Array;
  know: Float64Array;
  spam: Float64Array;
  iterations: number;
  converged: boolean;
};

/**
 * MACE (Hovy et al. 2013): on each vote, worker w knows the answer with probability theta_w and gives the
 * true label, or spams a label drawn from xi_w; true labels from class prior pi. Variational Bayes (mean
 * field: true labels and spam indicators vs pi, theta, xi) under the priors above. Restarts: one from
 * majority vote (or gold) plus `restarts` seeded random draws of theta and xi near indifference; the run
 * with the highest evidence lower bound (ELBO) wins, so results depend only on `seed`. Each run stops when
 * the ELBO changed by less than `objectiveTolerance` per vote, or after `maxIterations`. Sums on the
 * `onGrid` grid. Anonymous tallies share one (theta, xi).
 */
export function mace(set: TVoteSet, opts: TResolved): TAggregateResult {
  const rng = createRng(opts.seed);
  let best: TRun | null = null;
  for (let r = 0; r <= opts.restarts; r++) {
    const run = vbRun(set, opts, r === 0 ? null : rng);
    if (!best || run.elbo > best.elbo) best = run;
  }
  return publish(set, best!);
}

function vbRun(set: TVoteSet, opts: TResolved, rng: (() => number) | null): TRun {
  const { numItems: N, numClasses: C, numWorkers: W, numVotes: V } = set;
  const { voteWorker, voteLabel, itemOffsets } = set;
  const tallies = set.tallies;
  const S = W + 1; // index W = anonymous pool
  let numVotes = V;
  if (tallies) for (const n of tallies) numVotes += n;
  const active = new Uint8Array(N);
  for (let i = 0; i < N; i++) active[i] = hasVotes(set, i) ? 1 : 0;
  const T = new Float64Array(N * C);
  // Expected counts from the last E-step: votes given knowingly, and spam votes per label.
  const know = new Float64Array(S);
  const spam = new Float64Array(S * C);
  // Log weights the E-step uses: point values at a random start, else E[log theta] and friends.
  const logKnow = new Float64Array(S);
  const logSpam = new Float64Array(S * C); // log(1 - theta) + log xi_l
  // Per (source, label) from those: log weight of the vote when the label is true / false, and the share
  // of the "true" weight that is knowing, k / (k + s_l).
  const right = new Float64Array(S * C);
  const wrong = new Float64Array(S * C);
  const knowShare = new Float64Array(S * C);
  const derive = () => {
    for (let s = 0; s < S; s++) {
      const k = Math.exp(logKnow[s]!);
      for (let l = 0; l < C; l++) {
        const sp = Math.exp(logSpam[s * C + l]!);
        right[s * C + l] = onGrid(Math.log(k + sp));
        wrong[s * C + l] = onGrid(logSpam[s * C + l]!);
        knowShare[s * C + l] = k / (k + sp);
      }
    }
  };
  const row = new Float64Array(C);
  const logPi = new Float64Array(C).fill(onGrid(-Math.log(C))); // E[log pi]
  const classCounts = new Float64Array(C);
  const clampTo = (i: number) => (opts.clampGold && opts.gold ? opts.gold[i]! : -1);

  // Expected counts of item i's votes given its posterior: P(knew | vote l) = T[i, l] k / (k + s_l).
  const countItem = (i: number) => {
    const add = (s: number, l: number, n: number) => {
      const pk = onGrid(n * T[i * C + l]! * knowShare[s * C + l]!);
      know[s]! += pk;
      spam[s * C + l]! += n - pk;
    };
    for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) add(voteWorker[k]!, voteLabel[k]!, 1);
    if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
  };

  // Posteriors from the current weights, and the next M-step's expected counts.
  let sumLogZ = 0;
  const eStep = () => {
    sumLogZ = 0;
    know.fill(0);
    spam.fill(0);
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      row.set(logPi);
      const add = (s: number, l: number, n: number) => {
        for (let c = 0; c < C; c++) row[c]! += n * (c === l ? right[s * C + l]! : wrong[s * C + l]!);
      };
      for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) add(voteWorker[k]!, voteLabel[k]!, 1);
      if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
      sumLogZ += writePosterior(row, C, T, i, clampTo(i)).logZ;
      countItem(i);
    }
  };

  // Variational M-step: q(pi) = Dirichlet(1 + expected class counts), q(theta_s) = Beta(0.5 + know,
  // 0.5 + spam votes), q(xi_s) = Dirichlet(10 + spam per label). Sets the E-step's log weights (expected
  // logs) and returns -KL(q || prior), the parameter part of the ELBO.
  const mStep = (): number => {
    classCounts.fill(0);
    for (let i = 0; i < N; i++) if (active[i]) for (let c = 0; c < C; c++) classCounts[c]! += T[i * C + c]!;
    let piTotal = 0;
    for (let c = 0; c < C; c++) piTotal += PRIOR_PI + classCounts[c]!;
    let klPi = logGamma(piTotal) - logGamma(C * PRIOR_PI) + C * logGamma(PRIOR_PI);
    for (let c = 0; c < C; c++) {
      const g = PRIOR_PI + classCounts[c]!;
      const lp = digamma(g) - digamma(piTotal);
      logPi[c] = onGrid(lp);
      klPi += -logGamma(g) + (g - PRIOR_PI) * lp;
    }
    let negKL = -onGrid(klPi);
    for (let s = 0; s < S; s++) {
      if (s === W && !tallies) continue;
      let spamTotal = 0;
      for (let l = 0; l < C; l++) spamTotal += spam[s * C + l]!;
      const a = PRIOR_KNOW + know[s]!;
      const b = PRIOR_SPAM + spamTotal;
      const dAll = digamma(a + b);
      logKnow[s] = digamma(a) - dAll;
      const logSpamShare = digamma(b) - dAll;
      const g = C * PRIOR_XI + spamTotal;
      const dG = digamma(g);
      let kl =
        logGamma(PRIOR_KNOW) +
        logGamma(PRIOR_SPAM) -
        logGamma(PRIOR_KNOW + PRIOR_SPAM) -
        (logGamma(a) + logGamma(b) - logGamma(a + b)) +
        (a - PRIOR_KNOW) * logKnow[s]! +
        (b - PRIOR_SPAM) * logSpamShare;
      kl += logGamma(g) - logGamma(C * PRIOR_XI) + C * logGamma(PRIOR_XI);
      for (let l = 0; l < C; l++) {
        const gl = PRIOR_XI + spam[s * C + l]!;
        const logXi = digamma(gl) - dG;
        logSpam[s * C + l] = logSpamShare + logXi;
        kl += -logGamma(gl) + (gl - PRIOR_XI) * logXi;
      }
      negKL -= onGrid(kl);
    }
    derive();
    return negKL;
  };

  if (rng) {
    // Random start: point values theta, xi around indifference, then one E-step.
    for (let s = 0; s < S; s++) {
      const k = 1 + rng();
      const sp = 1 + rng();
      logKnow[s] = Math.log(k / (k + sp));
      const xi = Array.from({ length: C }, () => 1 + rng());
      const z = xi.reduce((x, y) => x + y, 0);
      for (let l = 0; l < C; l++) logSpam[s * C + l] = Math.log(sp / (k + sp)) + Math.log(xi[l]! / z);
    }
    derive();
    eStep();
  } else {
    // Majority-vote start: its posteriors, counted as if each worker knew the answer 80% of the time.
    T.set(toGrid(hardened(majorityVote(set, opts).posteriors, C)));
    logKnow.fill(Math.log(0.8));
    logSpam.fill(Math.log(0.2 / C));
    derive();
  }
  applyGold(T, C, opts.gold);
  know.fill(0);
  spam.fill(0);
  for (let i = 0; i < N; i++) if (active[i]) countItem(i);
  let elbo = -Infinity;
  let iter = 0;
  let converged = false;
  while (iter < opts.maxIterations) {
    const negKL = mStep();
    iter++;
    eStep();
    const next = sumLogZ + negKL;
    const change = Math.abs(next - elbo);
    elbo = next;
    if (change <= opts.objectiveTolerance * numVotes) {
      converged = true;
      break;
    }
  }
  return { T, elbo, classCounts, know, spam, iterations: iter, converged };
}

/**
 * Result of the winning run. Competence = posterior mean of theta; the reported log-likelihoods use the
 * posterior means of pi, theta and xi: log p(votes) and sum_c T[i, c] log p(c, votes of i).
 */
function publish(set: TVoteSet, run: TRun): TAggregateResult {
  const { numItems: N, numClasses: C, numWorkers: W, tallies } = set;
  const res = emptyResult(set, "mace");
  const S = W + 1;
  const theta = new Float64Array(S);
  const xi = new Float64Array(S * C);
  for (let s = 0; s < S; s++) {
    let spamTotal = 0;
    for (let l = 0; l < C; l++) spamTotal += run.spam[s * C + l]!;
    theta[s] = (PRIOR_KNOW + run.know[s]!) / (PRIOR_KNOW + PRIOR_SPAM + run.know[s]! + spamTotal);
    for (let l = 0; l < C; l++)
      xi[s * C + l] = (PRIOR_XI + run.spam[s * C + l]!) / (C * PRIOR_XI + spamTotal);
  }
  let piTotal = 0;
  for (let c = 0; c < C; c++) piTotal += PRIOR_PI + run.classCounts[c]!;
  const pi = run.classCounts.map((n) => (PRIOR_PI + n) / piTotal);
  const row = new Float64Array(C);
  let ll = 0;
  let ell = 0;
  for (let i = 0; i < N; i++) {
    if (!hasVotes(set, i)) continue;
    for (let c = 0; c < C; c++) row[c] = onGrid(Math.log(pi[c]!));
    const add = (s: number, l: number, n: number) => {
      const spam = (1 - theta[s]!) * xi[s * C + l]!;
      const right = onGrid(Math.log(theta[s]! + spam));
      const wrong = onGrid(Math.log(spam));
      for (let c = 0; c < C; c++) row[c]! += n * (c === l ? right : wrong);
    };
    for (let k = set.itemOffsets[i]!; k < set.itemOffsets[i + 1]!; k++)
      add(set.voteWorker[k]!, set.voteLabel[k]!, 1);
    if (tallies) for (let l = 0; l < C; l++) if (tallies[i * C + l]! > 0) add(W, l, tallies[i * C + l]!);
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, row[c]!);
    let z = 0;
    let e = 0;
    for (let c = 0; c < C; c++) {
      z += Math.exp(row[c]! - m);
      const p = run.T[i * C + c]!;
      if (p > 0) e += p * row[c]!;
    }
    ll += onGrid(m + Math.log(z));
    ell += onGrid(e);
  }
  res.posteriors = run.T;
  argmaxRows(run.T, C, res.labels);
  res.classPriors = pi;
  res.workerSkill = theta.slice(0, W);
  if (tallies) res.anonymous = { skill: theta[W]!, confusion: null };
  res.iterations = run.iterations;
  res.converged = run.converged;
  res.stopReason = run.converged ? "tolerance" : "max-iterations";
  res.logLikelihood = ll;
  res.expectedLogLikelihood = ell;
  res.objective = run.elbo;
  return res;
}
