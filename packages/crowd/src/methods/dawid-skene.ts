import type { TAggregateResult, TVoteSet } from "../types";
import { applyGold, argmaxRows, emptyResult, hardened, onGrid, type TResolved, toGrid } from "./common";
import { accumulateKernel } from "./kernels";
import { majorityVote } from "./mv";

/**
 * Dawid-Skene (1979) by EM over the sparse votes.
 * - Initialisation: hard majority vote (one-hot, ties split evenly); gold items start one-hot on gold.
 *   (Vote shares, crowd-kit's choice, reached a worse optimum on the benchmark crowd: log-likelihood
 *   -383,087 vs -382,963, accuracy 0.969 vs 0.979.)
 * - M-step: class priors and per-worker confusion rows [true][observed] from expected counts, each
 *   count plus `smoothing` (a symmetric Dirichlet pseudo-count, so unseen cells never reach log(0)).
 *   Anonymous tallies share one confusion matrix (the anonymous population), weighted by their counts.
 * - E-step: exact posteriors in log space. Stops when no posterior entry moves more than `tolerance`,
 *   or after `maxIterations`. No randomness: the same input gives the same output bit for bit, and the
 *   same output, permuted, for relabelled item and worker ids: posteriors and log-probabilities live on
 *   the fixed-point grid of `onGrid`, so every sum is exact whatever the order of its terms.
 * `oneCoin` ties each worker's matrix to a single accuracy p (errors uniform over the other classes),
 * estimated as MAP under a Beta(2, 1) prior: p = (hits + 1 + smoothing) / (votes + 1 + 2 * smoothing).
 */
export function dawidSkene(set: TVoteSet, opts: TResolved, oneCoin = false): TAggregateResult {
  const { numItems: N, numClasses: C, numWorkers: W, numVotes: V } = set;
  const res = emptyResult(set, oneCoin ? "onecoin" : "ds");
  const s = opts.smoothing;
  const T = toGrid(hardened(majorityVote(set, opts).posteriors, C));
  applyGold(T, C, opts.gold);
  const active = new Uint8Array(N);
  const nzCount = new Uint8Array(N);
  const nzClass = new Uint16Array(N * C);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < C; c++) {
      if (T[i * C + c]! > 0) {
        active[i] = 1;
        nzClass[i * C + nzCount[i]!++] = c;
      }
    }
  }
  const tallies = set.tallies;
  const priors = new Float64Array(C);
  const logPrior = new Float64Array(C);
  const conf = new Float64Array(W * C * C);
  const logConf = new Float64Array(W * C * C);
  const anonConf = new Float64Array(C * C);
  const logAnon = new Float64Array(C * C);
  const skill = new Float64Array(W);
  let anonSkill = 0;
  const row = new Float64Array(C);
  const ex = new Float64Array(C);
  const { voteItem, voteWorker, voteLabel, itemOffsets } = set;
  let iter = 0;
  let converged = false;
  let ll = 0;
  let ell = 0;

  // Internal layout is [worker][observed][true] so the per-vote loops read contiguous memory;
  // the published matrices are transposed to [worker][true][observed] at the end.
  // Log-probabilities straight from the counts: log(count + s) - log(row total). The counts are sums of
  // grid posteriors (exact); `s` is added once, after the sum, so the result does not depend on vote order.
  // Cells no vote reached hold exactly 0 (the M-step skips zero posteriors), so their log is shared instead
  // of recomputed. The counts themselves are normalised once, after the last iteration.
  const logS = Math.log(s);
  const logTot = new Float64Array(C);
  const logEmpty = new Float64Array(C);
  const logRows = (m: Float64Array, base: number, log: Float64Array) => {
    for (let c = 0; c < C; c++) {
      let t = 0;
      for (let l = 0; l < C; l++) t += m[base + l * C + c]!;
      logTot[c] = Math.log(t + C * s);
      logEmpty[c] = onGrid(logS - logTot[c]!);
    }
    for (let j = 0; j < C * C; j++) {
      const x = m[base + j]!;
      log[base + j] = x === 0 ? logEmpty[j % C]! : onGrid(Math.log(x + s) - logTot[j % C]!);
    }
  };

  // Expected confusion counts of item i's votes. Only the classes with non-negligible posterior mass
  // (listed by the E-step) contribute: most items are near one-hot, so this skips most of the C adds.
  let countsFresh = false;
  const addCounts = (i: number) => {
    const nz = nzCount[i]!;
    const t = i * C;
    for (let k = itemOffsets[i]!; k < itemOffsets[i + 1]!; k++) {
      const base = (voteWorker[k]! * C + voteLabel[k]!) * C;
      for (let j = 0; j < nz; j++) {
        const c = nzClass[t + j]!;
        conf[base + c]! += T[t + c]!;
      }
    }
  };

  const mStep = () => {
    priors.fill(0);
    for (let i = 0; i < N; i++) if (active[i]) for (let c = 0; c < C; c++) priors[c]! += T[i * C + c]!;
    let pt = 0;
    for (let c = 0; c < C; c++) pt += priors[c]! + s;
    for (let c = 0; c < C; c++) {
      priors[c] = (priors[c]! + s) / pt;
      logPrior[c] = onGrid(Math.log(priors[c]!));
    }
    if (oneCoin) {
      const hit = new Float64Array(W);
      const tot = new Float64Array(W);
      for (let k = 0; k < V; k++) {
        const w = voteWorker[k]!;
        hit[w]! += T[voteItem[k]! * C + voteLabel[k]!]!;
        tot[w]! += 1;
      }
      // Beta(2, 1) prior on accuracy (plus smoothing): with one or two votes per worker the likelihood
      // alone prefers "every worker is adversarial and every item has the majority class".
      for (let w = 0; w < W; w++) skill[w] = (hit[w]! + 1 + s) / (tot[w]! + 1 + 2 * s);
      let ah = 0;
      let at = 0;
      if (tallies) {
        for (let j = 0; j < N * C; j++) {
          ah += tallies[j]! * T[j]!;
          at += tallies[j]!;
        }
      }
      anonSkill = (ah + 1 + s) / (at + 1 + 2 * s);
      for (let w = 0; w < W; w++) fillOneCoin(conf, logConf, w * C * C, C, skill[w]!);
      fillOneCoin(anonConf, logAnon, 0, C, anonSkill);
      return;
    }
    // The E-step already summed the counts of the posteriors it produced; only the first M-step needs a pass.
    if (!countsFresh) {
      conf.fill(0);
      for (let i = 0; i < N; i++) addCounts(i);
    }
    countsFresh = false;
    for (let w = 0; w < W; w++) logRows(conf, w * C * C, logConf);
    if (tallies) {
      anonConf.fill(0);
      for (let i = 0; i < N; i++) {
        for (let l = 0; l < C; l++) {
          const n = tallies[i * C + l]!;
          if (n > 0) for (let c = 0; c < C; c++) anonConf[l * C + c]! += n * T[i * C + c]!;
        }
      }
      logRows(anonConf, 0, logAnon);
    }
  };

  const L = new Float64Array(N * C);
  const accumulate = accumulateKernel(C);
  const eStep = (): number => {
    let delta = 0;
    ll = 0;
    ell = 0;
    accumulate(L, logPrior, active, itemOffsets, voteWorker, voteLabel, logConf, N, C);
    // Fused M-step half: the next confusion counts are summed while each fresh posterior row is hot.
    if (!oneCoin) conf.fill(0);
    for (let i = 0; i < N; i++) {
      if (!active[i]) continue;
      for (let c = 0; c < C; c++) row[c] = L[i * C + c]!;
      if (tallies) {
        for (let l = 0; l < C; l++) {
          const n = tallies[i * C + l]!;
          if (n > 0) for (let c = 0; c < C; c++) row[c]! += n * logAnon[l * C + c]!;
        }
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (row[c]! > m) m = row[c]!;
      // smoothing 0 can make every class impossible for an item: keep its previous posterior.
      if (m === -Infinity) {
        if (!oneCoin) addCounts(i);
        continue;
      }
      let z = 0;
      for (let c = 0; c < C; c++) {
        // exp(-40) < 1e-17 of the leader: below double resolution after normalising, so skip the exp.
        const x = row[c]! - m;
        ex[c] = x < -40 ? 0 : Math.exp(x);
        z += ex[c]!;
      }
      ll += onGrid(m + Math.log(z));
      const invZ = 1 / z;
      const g = opts.clampGold && opts.gold ? opts.gold[i]! : -1;
      let nz = 0;
      let e = 0;
      for (let c = 0; c < C; c++) {
        // On the grid, mass below 2^-35 (3e-11) becomes exact zero (negligible against counts >= smoothing);
        // the rest is listed for the count sums, which then skip the zero classes.
        const p = g >= 0 ? (c === g ? 1 : 0) : onGrid(ex[c]! * invZ);
        if (p > 0) {
          nzClass[i * C + nz++] = c;
          e += p * row[c]!;
        }
        const d = Math.abs(p - T[i * C + c]!);
        if (d > delta) delta = d;
        T[i * C + c] = p;
      }
      ell += onGrid(e);
      nzCount[i] = nz;
      if (!oneCoin) addCounts(i);
    }
    countsFresh = !oneCoin;
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
  if (iter === 0) mStep();
  // Publish the parameters that produced the final posteriors (logConf), not the counts summed after them.
  if (!oneCoin) {
    for (let j = 0; j < conf.length; j++) conf[j] = Math.exp(logConf[j]!);
    if (tallies) for (let j = 0; j < anonConf.length; j++) anonConf[j] = Math.exp(logAnon[j]!);
  }
  res.posteriors = T;
  argmaxRows(T, C, res.labels);
  res.classPriors = priors;
  res.iterations = iter;
  res.converged = converged;
  res.stopReason = converged ? "tolerance" : "max-iterations";
  res.logLikelihood = iter > 0 ? ll : null;
  res.expectedLogLikelihood = iter > 0 ? ell : null;
  if (oneCoin) {
    res.workerSkill = skill;
    if (tallies) res.anonymous = { skill: anonSkill, confusion: null };
  } else {
    transposeBlocks(conf, W, C);
    transposeBlocks(anonConf, 1, C);
    res.workerConfusion = conf;
    // Scalar skill for ranking: expected accuracy under the class priors, sum_c prior_c * conf[c][c].
    for (let w = 0; w < W; w++) {
      let a = 0;
      for (let c = 0; c < C; c++) a += priors[c]! * conf[w * C * C + c * C + c]!;
      skill[w] = a;
    }
    res.workerSkill = skill;
    if (tallies) {
      let a = 0;
      for (let c = 0; c < C; c++) a += priors[c]! * anonConf[c * C + c]!;
      res.anonymous = { skill: a, confusion: anonConf };
    }
  }
  return res;
}

function fillOneCoin(m: Float64Array, log: Float64Array, base: number, C: number, p: number): void {
  const q = (1 - p) / (C - 1);
  const lp = onGrid(Math.log(p));
  const lq = onGrid(Math.log(q));
  for (let c = 0; c < C; c++) {
    for (let l = 0; l < C; l++) {
      m[base + c * C + l] = c === l ? p : q;
      log[base + c * C + l] = c === l ? lp : lq;
    }
  }
}

/** In-place transpose of `blocks` consecutive C x C matrices. */
function transposeBlocks(m: Float64Array, blocks: number, C: number): void {
  for (let b = 0; b < blocks; b++) {
    const base = b * C * C;
    for (let r = 0; r < C; r++) {
      for (let c = r + 1; c < C; c++) {
        const x = m[base + r * C + c]!;
        m[base + r * C + c] = m[base + c * C + r]!;
        m[base + c * C + r] = x;
      }
    }
  }
}
