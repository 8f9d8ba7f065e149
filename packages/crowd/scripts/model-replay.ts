// The model-returns-to-the-crowd replay on complete FER+ panels (pure: arrays in, figures out; the command
// line, files and the peer live in replay-model.ts; test/model-replay.test.ts runs these on FER+ Valid).
// a) stopping: every face's 10 votes replayed in random orders under the panel prior and the model prior;
// b) label issues: 3 random votes per face visible, the finders rank faces, the top is re-voted.
import { recoveryAtBudgets, type TRecovery } from "../src/issue-recovery";
import { findLabelIssues, type TLabelIssueOptions } from "../src/label-issues";
import { FERPLUS_EMOTIONS } from "../src/labels";
import { createRng } from "../src/methods/common";
import { ferplusProcess } from "../src/methods/ferplus";
import {
  calibratedClassPrior,
  fitModelCalibration,
  type TModelCalibration,
  type TModelPanelPrior,
} from "../src/model-panel-prior";
import {
  bayesPolicy,
  modelPanelPolicy,
  simulateOverlap,
  type TOverlapStats,
} from "../src/overlap-simulation";
import type { TPanelPrior, TReference } from "../src/plurality";
import { buildVoteSet } from "../src/vote-set";

export const C = 10;
export const K = FERPLUS_EMOTIONS.length;
export const BUDGETS = [0.05, 0.1, 0.2, 0.3] as const;

/** FER+ majority protocol: the emotion holding > half of the votes once single votes are dropped, else -1. */
export function majorityOf(panels: ArrayLike<number>): Int32Array {
  const N = panels.length / C;
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const d = ferplusProcess(Array.prototype.slice.call(panels, i * C, i * C + C) as number[], "majority");
    let best = -1;
    if (d) for (let c = 0; c < d.length; c++) if (d[c]! > 0 && (best < 0 || d[c]! > d[best]!)) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Class priors for the model panel prior by 2-fold cross-fitting: each face's calibration (temperature, mix)
 * is fitted on the other fold's complete panels and model distributions.
 */
export function crossFitClassPriors(
  mp: TModelPanelPrior,
  panels: Float64Array,
  probs: Float64Array,
): { classPriors: Float64Array; calibrations: TModelCalibration[] } {
  const N = panels.length / C;
  const classPriors = new Float64Array(N * C);
  const calibrations = [0, 1].map((f) => {
    const rows = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 !== f);
    const cal = fitModelCalibration(
      mp,
      Float64Array.from(rows.flatMap((i) => Array.from(panels.subarray(i * C, i * C + C)))),
      Float64Array.from(rows.flatMap((i) => Array.from(probs.subarray(i * K, i * K + K)))),
      K,
    );
    for (let i = f; i < N; i += 2) classPriors.set(calibratedClassPrior(mp, cal, probs, i * K), i * C);
    return cal;
  });
  return { classPriors, calibrations };
}

export type TStoppingRow = {
  reference: TReference;
  target: number;
  panel: TOverlapStats;
  model: TOverlapStats;
};

export function replayStopping(
  panels: Float64Array,
  panelPrior: TPanelPrior,
  modelPanel: { prior: TModelPanelPrior; classPriors: Float64Array },
  grid: readonly { reference: TReference; target: number }[],
  options: { replays: number; seed: number },
): TStoppingRow[] {
  return grid.map(({ reference, target }) => {
    const sim = { replays: options.replays, seed: options.seed };
    const stop = { reference, targetConfidence: target };
    const panel = simulateOverlap(panels, C, bayesPolicy({ prior: panelPrior, ...stop }), sim);
    const model = simulateOverlap(
      panels,
      C,
      modelPanelPolicy(modelPanel.prior, modelPanel.classPriors, stop),
      sim,
    );
    return { reference, target, panel, model };
  });
}

/** k random votes of each complete panel (without replacement), as counts and in draw order. */
export function drawVisible(panels: ArrayLike<number>, k: number, seed: number) {
  const N = panels.length / C;
  const rng = createRng(seed);
  const counts = new Float64Array(N * C);
  const order = new Int32Array(N * k);
  const current = new Int32Array(N).fill(-1);
  for (let i = 0; i < N; i++) {
    const bag: number[] = [];
    for (let c = 0; c < C; c++) for (let t = 0; t < panels[i * C + c]!; t++) bag.push(c);
    for (let j = 0; j < k && bag.length > 0; j++) {
      const u = Math.floor(rng() * bag.length);
      const v = bag.splice(u, 1)[0]!;
      counts[i * C + v]!++;
      order[i * k + j] = v;
    }
    // The crowd label with k votes: plurality, a tie broken at random (what a labelling tool would publish).
    let max = 0;
    for (let c = 0; c < C; c++) max = Math.max(max, counts[i * C + c]!);
    const top = Array.from({ length: C }, (_, c) => c).filter((c) => counts[i * C + c] === max);
    if (max > 0) current[i] = top[Math.floor(rng() * top.length)]!;
  }
  return { counts, order, current };
}

/**
 * Population confusion of single votes given the panel's answer, from complete panels (FER+ majority, else
 * the plurality): P(vote v | answer c), C x C [answer][vote], with 0.01 per cell.
 */
export function panelConfusion(panels: ArrayLike<number>): Float64Array {
  const N = panels.length / C;
  const maj = majorityOf(panels);
  const m = new Float64Array(C * C).fill(0.01);
  for (let i = 0; i < N; i++) {
    let c = maj[i]!;
    if (c < 0) {
      c = 0;
      for (let v = 1; v < C; v++) if (panels[i * C + v]! > panels[i * C + c]!) c = v;
    }
    for (let v = 0; v < C; v++) m[c * C + v]! += panels[i * C + v]!;
  }
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let v = 0; v < C; v++) s += m[c * C + v]!;
    for (let v = 0; v < C; v++) m[c * C + v]! /= s;
  }
  return m;
}

export type TIssueRun = { name: string; recovery: TRecovery[]; seconds: number };
export type TIssueVariant = { name: string; options: TLabelIssueOptions };

/** The finder variants measured: the model panel prior for bayes-panel, Train-panel confusion for a Bayes row. */
export function issueVariants(mp: TModelPanelPrior, trainConfusion: Float64Array): TIssueVariant[] {
  const panel = { panelPrior: mp, reference: "ferplus-majority" as const };
  return [
    { name: "margin (votes only)", options: { method: "margin" } },
    { name: "plain product", options: { method: "product" } },
    { name: "bayes-panel (model panel prior)", options: { method: "bayes-panel", ...panel } },
    {
      name: "bayes-panel, relabel priority",
      options: { method: "bayes-panel", ...panel, rankBy: "suggested" },
    },
    { name: "bayes-confusion (EM)", options: { method: "bayes-confusion" } },
    {
      name: "bayes-confusion (Train-panel conf.)",
      options: { method: "bayes-confusion", confusion: trainConfusion },
    },
    { name: "confident learning (model)", options: { method: "confident-learning", clOn: "model" } },
    {
      name: "confident learning (bayes-panel)",
      options: { method: "confident-learning", clOn: "bayes-panel", ...panel },
    },
  ];
}

/** Runs every variant on one draw of visible votes; truth = the 10-vote FER+ majority (-1: not counted). */
export function replayIssues(
  visible: { counts: Float64Array; current: Int32Array },
  probs: Float64Array,
  truth: Int32Array,
  variants: TIssueVariant[],
  seed: number,
): TIssueRun[] {
  const set = buildVoteSet({ numClasses: C, numItems: truth.length, tallies: visible.counts });
  return variants.map(({ name, options }) => {
    const t0 = performance.now();
    const r = findLabelIssues(
      { set, probs, numModelClasses: K, labels: visible.current },
      { ...options, seed },
    );
    const seconds = (performance.now() - t0) / 1000;
    return {
      name,
      recovery: recoveryAtBudgets(r.order, visible.current, r.suggested, truth, BUDGETS),
      seconds,
    };
  });
}
