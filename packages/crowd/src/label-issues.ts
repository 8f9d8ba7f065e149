import { fitBayes, type TBayesOptions } from "./label-issues-bayes";
import { createRng } from "./methods/common";
import {
  calibratedClassPrior,
  fitModelCalibration,
  modelPanelProbabilities,
  type TModelCalibration,
  type TModelPanelPrior,
} from "./model-panel-prior";
import { pluralityCredit as pluralityCreditOf, type TReference } from "./plurality";
import type { TVoteSet } from "./types";
import { itemCounts } from "./vote-set";

/**
 * Label-issue finder: ranks items by how likely their current crowd label is wrong, from the votes and a
 * model's out-of-sample class distribution.
 * - "bayes-panel" (default; measured best on FER+ Valid, README "The model returns to the crowd"): what the
 *   complete panel will answer, under the model panel prior (model-panel-prior.ts):
 *   complete panels seen before, split by the class they are about, with the face's class prior from the model
 *   (calibrated on these votes unless given); exact hypergeometric likelihood of the votes so far.
 *   score = 1 - P(the panel's answer is the current label | it has one). Needs `panelPrior`.
 * - "bayes-confusion": the model's distribution as the prior of the true class, the annotators' confusion as
 *   the likelihood (Dawid-Skene with a per-item prior and a fitted temperature; per-worker confusions for
 *   identified workers, one population matrix for anonymous tallies; see label-issues-bayes.ts).
 *   score = 1 - P(current label | votes, image).
 * - "confident-learning" (Northcutt et al. 2021): per-class thresholds t_k = mean probability of class k over
 *   the items labelled k; an item is flagged when the most probable class above its threshold is not its label.
 *   score = 1 if flagged, plus the threshold-adjusted margin max_{k != y}(p_k - t_k) - (p_y - t_y) mapped to
 *   [0, 1]. On the bayes-panel posterior by default (`clOn: "model"`: the model's distribution alone, as
 *   published).
 * - "product": the plain product of the model's distribution and a one-coin population vote likelihood
 *   (accuracy from the pairwise agreement of the votes); score = 1 - its posterior of the current label.
 * - "margin": votes only; score = -(top count - runner-up count), ties in seeded random order.
 */
export const LABEL_ISSUE_METHODS = [
  "bayes-panel",
  "bayes-confusion",
  "confident-learning",
  "product",
  "margin",
] as const;
export type TLabelIssueMethod = (typeof LABEL_ISSUE_METHODS)[number];
export const DEFAULT_LABEL_ISSUE_METHOD: TLabelIssueMethod = "bayes-panel";

export type TLabelIssueInput = {
  set: TVoteSet;
  /** numItems x numModelClasses out-of-sample class distribution; model class k is vote class k. */
  probs: ArrayLike<number>;
  /** K <= set.numClasses; vote classes >= K (FER+ unknown, not-a-face) are outside the model. */
  numModelClasses: number;
  /** Current crowd label per item, -1 = none. Default: plurality of the item's votes, ties to the lowest class. */
  labels?: ArrayLike<number>;
};

export type TLabelIssueOptions = TBayesOptions & {
  method?: TLabelIssueMethod;
  /** confident-learning: the distribution it thresholds: a Bayes posterior (default bayes-panel) or the model's. */
  clOn?: "bayes-panel" | "bayes-confusion" | "model";
  /** bayes-panel: complete panels seen before, split by class (createModelPanelPrior(fitPanelPrior(...))). */
  panelPrior?: TModelPanelPrior;
  /** bayes-panel: how the model's distribution becomes a class prior; default fitted on these items' votes. */
  calibration?: TModelCalibration;
  /** bayes-panel: the panel's answer the label should agree with. Default "plurality-split". */
  reference?: TReference;
  /** margin: seed of the tie order. Default 1. */
  seed?: number;
  /**
   * What the order ranks by. "current" (default): P(the current crowd label is wrong), the suspects' order,
   * best for finding wrong labels. "suggested": P(the method's own label is wrong) = 1 - max posterior, the
   * relabel priority: where a re-vote adds most to the dataset's label accuracy when every other item takes the
   * method's label (a current label the method already corrects gains nothing from a re-vote). Methods with a
   * posterior only (bayes-*, product); the scores stay P(current label wrong) either way.
   */
  rankBy?: "current" | "suggested";
};

export type TLabelIssues = {
  method: TLabelIssueMethod;
  /** The labels that were scored. */
  labels: Int32Array;
  /** The method's own label per item (bayes/product: posterior argmax; confident-learning: the confident
   *  class when flagged; margin: the current label); -1 = none. */
  suggested: Int32Array;
  /** Higher = more likely wrong; bayes and product: P(current label is wrong). 0 for items without a label. */
  scores: Float64Array;
  /** Items with a label, most suspect first (ties by item index); with rankBy "suggested", the least certain
   *  own label first. */
  order: Int32Array;
  /** numItems x numClasses: bayes-confusion and product P(true class); bayes-panel P(panel majority = c | it
   *  has one); confident-learning the posterior it thresholded; null otherwise. */
  posteriors: Float64Array | null;
  /** bayes-*: fitted (or given) temperature of the model's distribution; null otherwise. */
  temperature: number | null;
  /** bayes-confusion: population confusion C x C [true][observed]; null otherwise. */
  confusion: Float64Array | null;
  /** confident-learning: per-class thresholds (K); null otherwise. */
  thresholds: Float64Array | null;
};

export function findLabelIssues(input: TLabelIssueInput, options: TLabelIssueOptions = {}): TLabelIssues {
  const { set, probs, numModelClasses: K } = input;
  const { numItems: N, numClasses: C } = set;
  const method = options.method ?? DEFAULT_LABEL_ISSUE_METHOD;
  if (!(LABEL_ISSUE_METHODS as readonly string[]).includes(method))
    throw new RangeError(
      `unknown label-issue method "${method}"; expected ${LABEL_ISSUE_METHODS.join(", ")}`,
    );
  if (!(Number.isInteger(K) && K >= 2 && K <= C))
    throw new RangeError(`numModelClasses must be an integer in [2, ${C}], got ${K}`);
  if (probs.length !== N * K) throw new RangeError(`probs has ${probs.length} values, expected ${N} x ${K}`);
  for (let j = 0; j < probs.length; j++)
    if (!(probs[j]! >= 0 && probs[j]! <= 1))
      throw new RangeError(`probs[${j}] = ${probs[j]} is not a probability`);
  const counts = itemCounts(set);
  const labels = input.labels ? Int32Array.from(input.labels) : pluralityLabels(counts, C);
  if (labels.length !== N) throw new RangeError(`labels has ${labels.length} entries, expected ${N}`);
  for (const y of labels)
    if (!(Number.isInteger(y) && y >= -1 && y < C)) throw new RangeError(`label ${y} out of range`);
  const scores = new Float64Array(N);
  const suggested = Int32Array.from(labels);
  let posteriors: Float64Array | null = null;
  let temperature: number | null = null;
  let confusion: Float64Array | null = null;
  let thresholds: Float64Array | null = null;
  if (method === "margin") {
    const rng = createRng(options.seed ?? 1);
    for (let i = 0; i < N; i++) {
      let first = 0;
      let second = 0;
      for (let c = 0; c < C; c++) {
        const x = counts[i * C + c]!;
        if (x > first) [first, second] = [x, first];
        else if (x > second) second = x;
      }
      scores[i] = second - first + 0.5 * rng(); // margins are integers: the jitter only orders ties
    }
  } else if (method === "product") {
    posteriors = productPosterior(counts, probs, K, C);
  } else {
    const which = method === "confident-learning" ? (options.clOn ?? "bayes-panel") : method;
    if (which === "bayes-confusion") {
      const fit = fitBayes(set, probs, K, options);
      posteriors = fit.posteriors;
      temperature = fit.temperature;
      confusion = fit.confusion;
    } else if (which === "bayes-panel") {
      const mp = options.panelPrior;
      if (!mp) throw new RangeError("bayes-panel needs panelPrior (complete panels seen before)");
      if (mp.panel.numClasses !== C)
        throw new RangeError(`panel prior has ${mp.panel.numClasses} classes, the votes ${C}`);
      const cal = options.calibration ?? fitModelCalibration(mp, counts, probs, K);
      posteriors = panelAnswers(mp, cal, counts, probs, options.reference ?? "plurality-split");
      temperature = cal.temperature;
    }
  }
  if (method === "confident-learning") {
    const dist = posteriors ?? padded(probs, N, K, C);
    thresholds = confidentLearning(dist, labels, K, C, scores, suggested);
  } else if (posteriors) {
    for (let i = 0; i < N; i++) {
      const y = labels[i]!;
      scores[i] = y >= 0 ? 1 - posteriors[i * C + y]! : 0;
      let best = 0;
      for (let c = 1; c < C; c++) if (posteriors[i * C + c]! > posteriors[i * C + best]!) best = c;
      suggested[i] = y >= 0 ? best : -1;
    }
  }
  for (let i = 0; i < N; i++) if (labels[i]! < 0) scores[i] = 0;
  const rankBy = options.rankBy ?? "current";
  if (rankBy !== "current" && rankBy !== "suggested")
    throw new RangeError(`rankBy must be "current" or "suggested", got "${rankBy}"`);
  if (rankBy === "suggested" && (method === "margin" || method === "confident-learning"))
    throw new RangeError(`rankBy "suggested" needs a posterior: bayes-panel, bayes-confusion or product`);
  // rankBy "suggested": 1 - the posterior of the method's own label (P(it is wrong)).
  const key =
    rankBy === "suggested" && posteriors
      ? Float64Array.from(suggested, (s, i) => (s >= 0 ? 1 - posteriors![i * C + s]! : 0))
      : scores;
  const order = Int32Array.from(
    Array.from({ length: N }, (_, i) => i)
      .filter((i) => labels[i]! >= 0)
      .sort((a, b) => key[b]! - key[a]! || a - b),
  );
  return { method, labels, suggested, scores, order, posteriors, temperature, confusion, thresholds };
}

/** Plurality of each row of counts (ties to the lowest class), -1 for rows without votes. */
export function pluralityLabels(counts: ArrayLike<number>, C: number): Int32Array {
  const out = new Int32Array(counts.length / C).fill(-1);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (counts[i * C + c]! > counts[i * C + best]!) best = c;
    if (counts[i * C + best]! > 0) out[i] = best;
  }
  return out;
}

function padded(probs: ArrayLike<number>, N: number, K: number, C: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) out[i * C + k] = probs[i * K + k]!;
  return out;
}

/** Model distribution x one-coin population likelihood, accuracy a from P(two votes on an item agree). */
function productPosterior(
  counts: Float64Array,
  probs: ArrayLike<number>,
  K: number,
  C: number,
): Float64Array {
  const N = counts.length / C;
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < N; i++) {
    let n = 0;
    for (let c = 0; c < C; c++) {
      const x = counts[i * C + c]!;
      agree += x * (x - 1);
      n += x;
    }
    pairs += n * (n - 1);
  }
  // P(agree) = a^2 + (1 - a)^2 / (C - 1)  =>  a = (1 + sqrt((C - 1)(C P - 1))) / C.
  const P = pairs > 0 ? agree / pairs : 0.7;
  const a = Math.min(0.999, Math.max(1 / C + 1e-3, (1 + Math.sqrt(Math.max(0, (C - 1) * (C * P - 1)))) / C));
  const right = Math.log(a);
  const wrong = Math.log((1 - a) / (C - 1));
  const post = new Float64Array(N * C);
  for (let i = 0; i < N; i++) {
    let z = 0;
    let n = 0;
    for (let c = 0; c < C; c++) n += counts[i * C + c]!;
    const row = new Float64Array(K);
    let m = -Infinity;
    for (let k = 0; k < K; k++) {
      const x = counts[i * C + k]!;
      row[k] = Math.log(Math.max(1e-7, probs[i * K + k]!)) + x * right + (n - x) * wrong;
      m = Math.max(m, row[k]!);
    }
    for (let k = 0; k < K; k++) z += Math.exp(row[k]! - m);
    for (let k = 0; k < K; k++) post[i * C + k] = Math.exp(row[k]! - m) / z;
  }
  return post;
}

/** Per-class thresholds, flags and scores (written into scores / suggested); returns the thresholds. */
function confidentLearning(
  dist: Float64Array,
  labels: Int32Array,
  K: number,
  C: number,
  scores: Float64Array,
  suggested: Int32Array,
): Float64Array {
  const N = labels.length;
  const t = new Float64Array(K);
  const n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= K) continue;
    t[y]! += dist[i * C + y]!;
    n[y]!++;
  }
  // A class nobody is labelled with has no threshold: it can be confident only at probability 1.
  for (let k = 0; k < K; k++) t[k] = n[k]! > 0 ? t[k]! / n[k]! : 1;
  for (let i = 0; i < N; i++) {
    const y = labels[i]!;
    if (y < 0) continue;
    let confident = -1;
    let other = -Infinity;
    for (let k = 0; k < K; k++) {
      const p = dist[i * C + k]!;
      if (p >= t[k]! && (confident < 0 || p > dist[i * C + confident]!)) confident = k;
      if (k !== y) other = Math.max(other, p - t[k]!);
    }
    const own = y < K ? dist[i * C + y]! - t[y]! : -1;
    const flagged = confident >= 0 ? confident !== y : y >= K;
    scores[i] = (flagged ? 1 : 0) + (other - own + 2) / 4;
    if (flagged && confident >= 0) suggested[i] = confident;
  }
  return t;
}

/** P(the complete panel's answer = x | votes so far, class prior from the model), over panels that have one. */
function panelAnswers(
  mp: TModelPanelPrior,
  cal: TModelCalibration,
  counts: Float64Array,
  probs: ArrayLike<number>,
  reference: TReference,
): Float64Array {
  const C = mp.panel.numClasses;
  const H = mp.panel.panelSize;
  const K = cal.numModelClasses;
  const N = counts.length / C;
  const post = new Float64Array(N * C);
  for (let i = 0; i < N; i++) {
    const n = counts.subarray(i * C, i * C + C);
    let k = 0;
    for (let c = 0; c < C; c++) k += n[c]!;
    const q = calibratedClassPrior(mp, cal, probs, i * K);
    // An item with a complete panel (or more votes) has its answer already: the votes' own.
    const p = k >= H ? pluralityCreditOf(n, reference) : modelPanelProbabilities(mp, n, q, reference);
    let z = 0;
    for (let c = 0; c < C; c++) z += p[c]!;
    for (let c = 0; c < C; c++) post[i * C + c] = z > 0 ? p[c]! / z : q[c]!;
  }
  return post;
}
