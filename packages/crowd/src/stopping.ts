import { confidenceOf } from "./confidence";
import { modelPanelProbabilities, type TModelPanelPrior } from "./model-panel-prior";
import { planDecision, type TStoppingPlan } from "./optimal-stopping";
import {
  dirichletPluralityProbabilities,
  panelPluralityProbabilities,
  type TPanelPrior,
  type TReference,
} from "./plurality";

export type TStoppingOptions = {
  /** Required P(published label = the full panel's plurality). Default 0.99. */
  targetConfidence?: number;
  /** Panel size whose plurality we predict; also a hard cap (never ask beyond it). Default 10. */
  maxVotes?: number;
  /** Never stop before this many votes. Default 1. */
  minVotes?: number;
  /**
   * Prior on how complete panels look: a panel prior fit on past complete panels (`fitPanelPrior`,
   * class-confusion aware: it knows that neutral splits with sadness far more often than with happiness),
   * or Dirichlet pseudo-counts over classes (e.g. a model's predicted distribution times a concentration).
   * Default: symmetric Dirichlet(1), which depends on the counts only up to relabelling of classes.
   */
  prior?: TPanelPrior | TModelPanelPrior | ArrayLike<number>;
  /**
   * With a model panel prior (createModelPanelPrior): this item's class prior, length numClasses, from its model
   * distribution (calibratedClassPrior). Default: the panel prior's own class shares (the plain panel prior).
   */
  classPrior?: ArrayLike<number>;
  /**
   * Optional individual votes with one-coin reliabilities (P(correct), e.g. DS/one-coin skills). When given,
   * the rule targets the true label instead: stop once its posterior under the one-coin model reaches the
   * target. Dirichlet pseudo-counts in `prior`, if any, set the class prior (normalised).
   */
  votes?: readonly { label: number; reliability: number }[];
  /** The full panel's answer to agree with (see TReference). Default "plurality". */
  reference?: TReference;
  /**
   * With a panel prior: use the Bayes-optimal sequential policy for this cost of one disagreement,
   * counted in votes (see createStoppingPlan), instead of the confidence threshold. Pass the same plan
   * object across calls to share its memo.
   */
  plan?: TStoppingPlan;
};

export type TStoppingDecision = {
  needsMore: boolean;
  /** The label to publish now: the most probable final plurality (or true label with `votes`). */
  label: number;
  /** Probability that publishing `label` now does not disagree with the full panel (see `reference`). */
  confidence: number;
  /** Per class: P(c is the full panel's answer) under `reference`, or the true-label posterior with `votes`. */
  probabilities: Float64Array;
  votes: number;
  reason: "confident" | "max-votes" | "below-min-votes" | "uncertain";
};

/**
 * Dynamic-overlap stopping rule: given an item's vote counts so far, is another vote needed to reach the
 * target confidence? Pure and cheap (exact sums, no sampling), so the same counts always give the same answer.
 */
export function needsMoreVotes(counts: ArrayLike<number>, options: TStoppingOptions = {}): TStoppingDecision {
  const C = counts.length;
  const target = options.targetConfidence ?? 0.99;
  const maxVotes = options.maxVotes ?? 10;
  const minVotes = options.minVotes ?? 1;
  const reference = options.reference ?? "plurality";
  if (C < 2) throw new RangeError(`counts must cover >= 2 classes, got ${C}`);
  if (!(target > 0 && target <= 1)) throw new RangeError(`targetConfidence must be in (0, 1], got ${target}`);
  if (!(Number.isInteger(maxVotes) && maxVotes >= 1))
    throw new RangeError(`maxVotes must be an integer >= 1`);
  let k = 0;
  for (let c = 0; c < C; c++) {
    const x = counts[c]!;
    if (!(Number.isInteger(x) && x >= 0))
      throw new RangeError(`counts[${c}] = ${x} is not a non-negative integer`);
    k += x;
  }
  if (options.plan && !options.votes) {
    const plan = options.plan;
    if (plan.prior.numClasses !== C || plan.prior.panelSize !== maxVotes) {
      throw new RangeError(
        `plan is for ${plan.prior.numClasses} classes / panels of ${plan.prior.panelSize}`,
      );
    }
    const d = planDecision(plan, counts);
    const reason =
      k >= maxVotes ? "max-votes" : k < minVotes ? "below-min-votes" : d.stop ? "confident" : "uncertain";
    return {
      needsMore: reason === "below-min-votes" || reason === "uncertain",
      label: d.label,
      confidence: d.confidence,
      probabilities: Float64Array.from(d.top),
      votes: k,
      reason,
    };
  }
  let probabilities: Float64Array;
  if (options.votes) {
    probabilities = trueLabelPosterior(C, options.votes, options.prior);
  } else if (options.prior && "kind" in options.prior) {
    const mp = options.prior;
    if (mp.panel.numClasses !== C)
      throw new RangeError(`panel prior has ${mp.panel.numClasses} classes, counts have ${C}`);
    if (mp.panel.panelSize !== maxVotes)
      throw new RangeError(`panel prior is for panels of ${mp.panel.panelSize}, maxVotes is ${maxVotes}`);
    probabilities = modelPanelProbabilities(mp, counts, options.classPrior ?? mp.share, reference);
  } else if (options.prior && "vectors" in options.prior) {
    const prior = options.prior;
    if (prior.numClasses !== C)
      throw new RangeError(`panel prior has ${prior.numClasses} classes, counts have ${C}`);
    if (prior.panelSize !== maxVotes)
      throw new RangeError(`panel prior is for panels of ${prior.panelSize}, maxVotes is ${maxVotes}`);
    probabilities = panelPluralityProbabilities(counts, prior, reference);
  } else {
    const alpha = options.prior
      ? Float64Array.from(options.prior as ArrayLike<number>)
      : new Float64Array(C).fill(1);
    if (alpha.length !== C) throw new RangeError(`prior has ${alpha.length} pseudo-counts, counts have ${C}`);
    for (const a of alpha) if (!(a > 0)) throw new RangeError(`Dirichlet pseudo-counts must be > 0`);
    probabilities = dirichletPluralityProbabilities(counts, maxVotes, alpha, reference);
  }
  let label = 0;
  for (let c = 1; c < C; c++) if (probabilities[c]! > probabilities[label]!) label = c;
  const confidence = options.votes ? probabilities[label]! : confidenceOf(probabilities, label);
  let reason: TStoppingDecision["reason"];
  if (k >= maxVotes) reason = "max-votes";
  else if (k < minVotes) reason = "below-min-votes";
  else reason = confidence >= target ? "confident" : "uncertain";
  return {
    needsMore: reason === "below-min-votes" || reason === "uncertain",
    label,
    confidence,
    probabilities,
    votes: k,
    reason,
  };
}

function trueLabelPosterior(
  C: number,
  votes: readonly { label: number; reliability: number }[],
  prior: TPanelPrior | TModelPanelPrior | ArrayLike<number> | undefined,
): Float64Array {
  const logp = new Float64Array(C);
  if (prior) {
    const mean = "kind" in prior ? prior.share : "vectors" in prior ? prior.mean : prior;
    let s = 0;
    for (let c = 0; c < C; c++) s += mean[c]!;
    for (let c = 0; c < C; c++) logp[c] = Math.log(mean[c]! / s);
  }
  for (const v of votes) {
    if (!(Number.isInteger(v.label) && v.label >= 0 && v.label < C))
      throw new RangeError(`vote label ${v.label} out of range`);
    // Clamp so a "perfect" worker cannot zero out a class forever.
    const a = Math.min(1 - 1e-6, Math.max(1e-6, v.reliability));
    const right = Math.log(a);
    const wrong = Math.log((1 - a) / (C - 1));
    for (let c = 0; c < C; c++) logp[c]! += c === v.label ? right : wrong;
  }
  let m = -Infinity;
  for (const x of logp) m = Math.max(m, x);
  let z = 0;
  for (let c = 0; c < C; c++) {
    logp[c] = Math.exp(logp[c]! - m);
    z += logp[c]!;
  }
  return logp.map((x) => x / z);
}

/**
 * Model-assisted stopping for one image: its vote counts so far (length C) and its class prior from the
 * model (length C: calibratedClassPrior of its out-of-sample prediction) under a model panel prior -> stop or
 * ask for another vote, and the label to publish. The same rule as needsMoreVotes with the panel prior
 * re-weighted by this image's class prior; maxVotes defaults to the prior's panel size.
 */
export function needsMoreVotesWithModel(
  counts: ArrayLike<number>,
  classPrior: ArrayLike<number>,
  prior: TModelPanelPrior,
  options: Omit<TStoppingOptions, "prior" | "classPrior" | "plan" | "votes"> = {},
): TStoppingDecision {
  return needsMoreVotes(counts, { maxVotes: prior.panel.panelSize, ...options, prior, classPrior });
}
