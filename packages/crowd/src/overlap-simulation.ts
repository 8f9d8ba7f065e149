import { createRng } from "./methods/common";
import type { TModelPanelPrior } from "./model-panel-prior";
import { pluralityCredit } from "./plurality";
import { needsMoreVotes, type TStoppingOptions } from "./stopping";

/** A stopping policy for replay: given an item's counts so far, stop or not, and the label it would publish. */
export type TOverlapPolicy = (
  counts: Int32Array,
  votes: number,
  item: number,
) => { stop: boolean; label: number };

export type TOverlapStats = {
  faces: number;
  replays: number;
  meanVotes: number;
  /** Share of replays whose published label is among the full panel's top classes (ties: any counts). */
  agreement: number;
  /** Share of replays agreeing with the full panel's strict majority, over faces that have one. */
  agreementMajority: number;
  /** Mean credit with ties split 1/k (caps below 1 when panels tie). */
  agreementSplit: number;
  /** Share of replays that stopped before the full panel. */
  stoppedEarly: number;
};

/**
 * Replays each complete panel (numItems x numClasses counts, rows summing to panelSize) in `replays`
 * seeded random vote orders and applies the policy after every vote.
 */
export function simulateOverlap(
  panels: ArrayLike<number>,
  numClasses: number,
  policy: TOverlapPolicy,
  options: { panelSize?: number; replays?: number; seed?: number } = {},
): TOverlapStats {
  const C = numClasses;
  const H = options.panelSize ?? 10;
  const R = options.replays ?? 1;
  const rng = createRng(options.seed ?? 1);
  const seq = new Int32Array(H);
  const counts = new Int32Array(C);
  let faces = 0;
  let totalVotes = 0;
  let agreement = 0;
  let split = 0;
  let majority = 0;
  let majorityRuns = 0;
  let early = 0;
  for (let i = 0; i < panels.length / C; i++) {
    let n = 0;
    for (let c = 0; c < C; c++) for (let t = 0; t < panels[i * C + c]!; t++) if (n < H) seq[n++] = c;
    if (n !== H || rowSum(panels, i, C) !== H) continue;
    faces++;
    const panel = Array.from({ length: C }, (_, c) => panels[i * C + c]!);
    const credit = pluralityCredit(panel, "plurality");
    const splitCredit = pluralityCredit(panel, "plurality-split");
    const majorityCredit = pluralityCredit(panel, "majority");
    const hasMajority = majorityCredit.some((x) => x > 0);
    for (let r = 0; r < R; r++) {
      for (let t = H - 1; t > 0; t--) {
        const u = Math.floor(rng() * (t + 1));
        const x = seq[t]!;
        seq[t] = seq[u]!;
        seq[u] = x;
      }
      counts.fill(0);
      let label = -1;
      let used = 0;
      for (let t = 0; t < H; t++) {
        counts[seq[t]!]!++;
        used = t + 1;
        const d = policy(counts, used, i);
        label = d.label;
        if (d.stop) break;
      }
      totalVotes += used;
      if (used < H) early++;
      agreement += credit[label]!;
      split += splitCredit[label]!;
      if (hasMajority) {
        majority += majorityCredit[label]!;
        majorityRuns++;
      }
    }
  }
  const runs = faces * R;
  return {
    faces,
    replays: R,
    meanVotes: totalVotes / runs,
    agreement: agreement / runs,
    agreementMajority: majority / majorityRuns,
    agreementSplit: split / runs,
    stoppedEarly: early / runs,
  };
}

function rowSum(a: ArrayLike<number>, i: number, C: number): number {
  let s = 0;
  for (let c = 0; c < C; c++) s += a[i * C + c]!;
  return s;
}

/** Baseline: stop when the leader is `lead` votes ahead of the runner-up (or the panel is full). */
export function leadPolicy(lead: number, panelSize = 10): TOverlapPolicy {
  return (counts, votes) => {
    let first = 0;
    let second = 0;
    let label = 0;
    for (let c = 0; c < counts.length; c++) {
      const x = counts[c]!;
      if (x > first) {
        second = first;
        first = x;
        label = c;
      } else if (x > second) second = x;
    }
    return { stop: first - second >= lead || votes >= panelSize, label };
  };
}

/** needsMoreVotes as a replay policy (with `plan`, the plan memoises; otherwise this does); decisions are memoised by count vector (they depend on nothing else). */
export function bayesPolicy(options: TStoppingOptions): TOverlapPolicy {
  const memo = new Map<string, { stop: boolean; label: number }>();
  return (counts) => {
    const key = counts.join(",");
    let d = memo.get(key);
    if (!d) {
      const r = needsMoreVotes(counts, options);
      d = { stop: !r.needsMore, label: r.label };
      memo.set(key, d);
    }
    return d;
  };
}

/**
 * The model panel prior as a replay policy: item i's class prior is classPriors[i * C .. (i + 1) * C)
 * (calibratedClassPrior of its model distribution); the per-count work is memoised inside the prior.
 */
export function modelPanelPolicy(
  prior: TModelPanelPrior,
  classPriors: ArrayLike<number>,
  options: Omit<TStoppingOptions, "prior" | "plan" | "votes" | "classPrior">,
): TOverlapPolicy {
  const C = prior.panel.numClasses;
  return (counts, _votes, item) => {
    const classPrior = Array.prototype.slice.call(classPriors, item * C, (item + 1) * C) as number[];
    const r = needsMoreVotes(counts, { ...options, prior, classPrior });
    return { stop: !r.needsMore, label: r.label };
  };
}
