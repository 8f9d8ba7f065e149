import type { TAggregateResult, TMethod, TVoteSet } from "../types";
import { itemCounts } from "../vote-set";
import { argmaxRows, emptyResult, hardened, type TResolved } from "./common";
import { majorityVote, weightedCounts } from "./mv";

/** Worker accuracy against soft consensus T (a tie counts 1/k), per worker and for the anonymous pool. */
function skillsAgainst(set: TVoteSet, T: Float64Array): { skill: Float64Array; anon: number } {
  const C = set.numClasses;
  const hit = new Float64Array(set.numWorkers);
  const tot = new Float64Array(set.numWorkers);
  for (let k = 0; k < set.numVotes; k++) {
    const w = set.voteWorker[k]!;
    hit[w]! += T[set.voteItem[k]! * C + set.voteLabel[k]!]!;
    tot[w]! += 1;
  }
  let ah = 0;
  let at = 0;
  if (set.tallies) {
    for (let j = 0; j < set.tallies.length; j++) {
      ah += set.tallies[j]! * T[j]!;
      at += set.tallies[j]!;
    }
  }
  return { skill: hit.map((h, w) => (tot[w]! > 0 ? h / tot[w]! : 0)), anon: at > 0 ? ah / at : 0 };
}

/** Normalised weighted vote shares; rows whose weights are all zero fall back to plain counts. */
function weightedResult(set: TVoteSet, method: TMethod, skill: Float64Array, anon: number): TAggregateResult {
  const C = set.numClasses;
  const res = emptyResult(set, method);
  const scores = weightedCounts(set, skill, anon);
  const plain = itemCounts(set);
  for (let i = 0; i < set.numItems; i++) {
    let t = 0;
    for (let c = 0; c < C; c++) t += scores[i * C + c]!;
    const src = t > 0 ? scores : plain;
    if (t <= 0) for (let c = 0; c < C; c++) t += plain[i * C + c]!;
    if (t > 0) for (let c = 0; c < C; c++) res.posteriors[i * C + c] = src[i * C + c]! / t;
  }
  argmaxRows(res.posteriors, C, res.labels);
  res.workerSkill = skill;
  if (set.tallies) res.anonymous = { skill: anon, confusion: null };
  return res;
}

/**
 * Wawa (worker agreement with aggregate): skill = accuracy against the majority-vote labels (a tie gives
 * 1/k credit), then the skill-weighted vote.
 */
export function wawa(set: TVoteSet, opts: TResolved): TAggregateResult {
  const T = hardened(majorityVote(set, opts).posteriors, set.numClasses);
  const { skill, anon } = skillsAgainst(set, T);
  if (opts.gold) overrideWithGold(set, opts.gold, skill);
  const res = weightedResult(set, "wawa", skill, anon);
  res.iterations = 1;
  return res;
}

/**
 * Zero-based skill (as crowd-kit): skills start at 1 (or at gold accuracy where known), then repeat
 * "weighted vote -> hard labels -> skill += lr * (accuracy against them - skill)", halving lr every 20
 * steps, until no skill moves more than `tolerance`. A tie in the weighted vote gives 1/k credit.
 */
export function zeroBasedSkill(set: TVoteSet, opts: TResolved): TAggregateResult {
  const skill = new Float64Array(set.numWorkers).fill(1);
  let anon = 1;
  if (opts.gold) overrideWithGold(set, opts.gold, skill);
  let lr = 1;
  let iter = 0;
  let converged = false;
  while (iter < opts.maxIterations) {
    if (iter > 0 && iter % 20 === 0) lr *= 0.5;
    const T = hardened(weightedResult(set, "zbs", skill, anon).posteriors, set.numClasses);
    const acc = skillsAgainst(set, T);
    let delta = Math.abs(lr * (acc.anon - anon));
    anon += lr * (acc.anon - anon);
    for (let w = 0; w < set.numWorkers; w++) {
      const d = lr * (acc.skill[w]! - skill[w]!);
      skill[w]! += d;
      delta = Math.max(delta, Math.abs(d));
    }
    iter++;
    if (delta < opts.tolerance) {
      converged = true;
      break;
    }
  }
  const res = weightedResult(set, "zbs", skill, anon);
  res.iterations = iter;
  res.converged = converged;
  res.stopReason = converged ? "tolerance" : "max-iterations";
  return res;
}

/** Gold-informed skills: a worker's accuracy on gold items replaces the estimate where they have gold votes. */
function overrideWithGold(set: TVoteSet, gold: Int32Array, skill: Float64Array): void {
  const hit = new Float64Array(set.numWorkers);
  const tot = new Float64Array(set.numWorkers);
  for (let k = 0; k < set.numVotes; k++) {
    const g = gold[set.voteItem[k]!]!;
    if (g < 0) continue;
    const w = set.voteWorker[k]!;
    tot[w]!++;
    if (set.voteLabel[k] === g) hit[w]!++;
  }
  for (let w = 0; w < set.numWorkers; w++) if (tot[w]! > 0) skill[w] = hit[w]! / tot[w]!;
}
